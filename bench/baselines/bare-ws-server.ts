import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Baseline: the least a Node process can do for the same traffic. Speaks
 * mvchat's envelope (`{id, join|send}` → ctrl) but stores nothing and checks
 * nothing: one frame serialized once and written to every other socket of the
 * conversation. It does not coalesce writes: mvchat, which does, can pass it
 * under load.
 */
const TEXT = { binary: false } as const;
const rooms = new Map<string, Set<WebSocket>>();
const seqs = new Map<string, number>();

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 65_536 });

interface Envelope {
  id?: string;
  join?: { user: string; convs: string[] };
  send?: { conv: string; content: unknown };
}

function ctrl(id: string | undefined, code: number, params?: object): string {
  return JSON.stringify({ ctrl: { id, code, text: code < 300 ? 'ok' : 'error', params, ts: new Date().toISOString() } }) + '\n';
}

wss.on('connection', (ws) => {
  let user = '';
  const joined: string[] = [];
  ws.on('message', (data) => {
    let msg: Envelope;
    try {
      msg = JSON.parse(data.toString()) as Envelope;
    } catch {
      ws.send(ctrl(undefined, 400));
      return;
    }
    if (msg.join) {
      user = msg.join.user;
      for (const conv of msg.join.convs) {
        let room = rooms.get(conv);
        if (!room) rooms.set(conv, (room = new Set()));
        room.add(ws);
        joined.push(conv);
      }
      ws.send(ctrl(msg.id, 200));
    } else if (msg.send) {
      const { conv, content } = msg.send;
      const seq = (seqs.get(conv) ?? 0) + 1;
      seqs.set(conv, seq);
      const ts = new Date().toISOString();
      ws.send(ctrl(msg.id, 202, { conv, seq, ts }));
      // Serialized and encoded once; every peer gets the same bytes as a text frame, each in its own write.
      const frame = Buffer.from(JSON.stringify({ data: { conv, seq, from: user, content, ts } }) + '\n');
      for (const peer of rooms.get(conv) ?? []) if (peer !== ws) peer.send(frame, TEXT);
    } else ws.send(ctrl(msg.id, 400));
  });
  ws.on('close', () => {
    for (const conv of joined) rooms.get(conv)?.delete(ws);
  });
});

wss.on('listening', () => {
  const address = wss.address();
  process.stdout.write(JSON.stringify({ msg: 'bare ws listening', port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
