import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';

/**
 * Baseline: the same fan-out with Socket.IO rooms (each broadcast is encoded
 * once by the adapter). With REDIS_URL set, nodes share rooms through
 * @socket.io/redis-adapter, the usual way to run Socket.IO on several nodes.
 */
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

const redisUrl = process.env.REDIS_URL;
const prefix = process.env.MVCHAT_REDIS_PREFIX ?? 'bench-sio:';
if (redisUrl) {
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub, { key: `${prefix}socket.io` }));
}

const seqs = new Map<string, number>();

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { user?: string; convs?: string[] };
  const user = String(auth.user ?? '');
  void socket.join(Array.isArray(auth.convs) ? auth.convs.map(String) : []);
  socket.on('send', (body: { conv: string; content: unknown }, ack?: (r: object) => void) => {
    const seq = (seqs.get(body.conv) ?? 0) + 1;
    seqs.set(body.conv, seq);
    const ts = new Date().toISOString();
    ack?.({ code: 202, seq, ts });
    socket.to(body.conv).emit('data', { conv: body.conv, seq, from: user, content: body.content, ts });
  });
});

http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(JSON.stringify({ msg: 'socket.io listening', port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});
process.on('SIGTERM', () => {
  io.close();
  setTimeout(() => process.exit(0), 500).unref();
});
