import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '../protocol/close-codes.js';
import type { Logger } from '../logger.js';
import { Session, type SessionParts, type SessionLimits } from '../session/session.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { OriginPolicy } from './origin-policy.js';
import { WsSocket } from './ws-socket.js';
import { clientAddressOf, type ClientAddress } from './client-address.js';
import type { TrustProxy } from '../config.js';

export const WS_PATHS = new Set(['/v0/ws', '/v0/channels']);
const MAX_FRAME_BYTES = 65_536;

export interface GatewayOptions {
  limits: SessionLimits;
  heartbeatMs: number;
  compression: boolean;
  trustProxy: TrustProxy;
}

/** Accepts WebSocket upgrades and turns each socket into a Session. */
export class WsGateway {
  readonly #wss: WebSocketServer;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #clientAddress: ClientAddress;

  constructor(
    private readonly registry: SessionRegistry<Session>,
    private readonly parts: SessionParts,
    private readonly origins: OriginPolicy,
    private readonly opts: GatewayOptions,
    private readonly log: Logger,
  ) {
    this.#wss = new WebSocketServer({
      noServer: true,
      // ws enforces this on the decompressed size too (DEFECTS 18) and closes with 1009.
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: opts.compression ? { threshold: 1024, serverNoContextTakeover: true, clientNoContextTakeover: true } : false,
    });
    this.#clientAddress = clientAddressOf(opts.trustProxy);
    this.#heartbeat = setInterval(() => this.#beat(), opts.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Handles an HTTP upgrade request; false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!WS_PATHS.has(path)) return false;
    if (!this.origins.allows(req.headers.origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
    return true;
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    const address = this.#clientAddress(req);
    const session = new Session(new WsSocket(ws), address, this.parts, this.opts.limits, this.log);
    this.registry.add(session);
    ws.on('message', (data, isBinary) => session.receive(isBinary ? toBuffer(data) : toBuffer(data).toString('utf8')));
    ws.on('pong', () => (session.alive = true));
    ws.on('error', (err) => {
      session.log.info({ err: err.message }, 'socket error');
      session.close(err.message.includes('Max payload') ? CloseCode.MESSAGE_TOO_BIG : CloseCode.INTERNAL_ERROR);
    });
    ws.on('close', () => session.socketClosed());
  }

  /**
   * Pings every session; one that stayed silent since the last round is closed (DEFECTS 12),
   * and one whose login session passed its absolute lifetime ends (4010).
   */
  #beat(): void {
    const now = Date.now();
    for (const s of this.registry.sessions()) {
      if (s.groupExpired(now)) {
        s.close(CloseCode.SESSION_ENDED);
        continue;
      }
      if (!s.alive) {
        s.close(CloseCode.HEARTBEAT_TIMEOUT);
        continue;
      }
      s.alive = false;
      s.ping();
    }
  }

  /** Closes every session with 1001 and stops accepting. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const s of [...this.registry.sessions()]) s.close(CloseCode.GOING_AWAY);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
