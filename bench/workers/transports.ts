import { io, type Socket } from 'socket.io-client';
import type { TargetKind } from '../lib/servers.js';
import { EnvelopeClient } from './envelope-client.js';
import { parseText, readMarker } from '../lib/marker.js';

export interface Target {
  kind: TargetKind;
  url: string;
}

export interface ClientSpec {
  user: { id: string; token: string };
  /** Conversations to join (baselines only; mvchat knows its members). */
  convs: string[];
  /** Index of the server (cluster node) to connect to. */
  node: number;
}

/** One logged-in load client, whatever the server. */
export interface LoadClient {
  /** Posts `text` to `conv`; `done` gets the reply code (0 when the socket closed first). */
  send(conv: string, text: string, done: (code: number) => void): void;
  /** Called for every benchmark message delivered to this client. */
  onMessage: (phase: number, sentUs: number) => void;
  readonly pending: number;
  readonly isOpen: boolean;
  close(): void;
}

function content(text: string): { v: 1; text: string } {
  return { v: 1, text };
}

/** mvchat and the bare ws baseline share the envelope: `{id, op: body}` → ctrl. */
async function openEnvelope(target: Target, spec: ClientSpec): Promise<LoadClient> {
  const c = await EnvelopeClient.connect(target.url);
  const reply =
    target.kind === 'mvchat'
      ? await c.request('login', { scheme: 'token', secret: spec.user.token })
      : await c.request('join', { user: spec.user.id, convs: spec.convs });
  if (reply.code !== 200) {
    c.close();
    throw new Error(`login failed: ${reply.code} ${reply.text}`);
  }
  let open = true;
  void c.closed.then(() => (open = false));
  const client: LoadClient = {
    send: (conv, text, done) => c.requestCb('send', { conv, content: content(text) }, (ctrl) => done(ctrl.code)),
    onMessage: () => {},
    get pending() {
      return c.pending;
    },
    get isOpen() {
      return open;
    },
    close: () => c.close(),
  };
  c.onFrame = (frame) => {
    const m = readMarker(frame);
    if (m) client.onMessage(m.phase, m.sentUs);
  };
  return client;
}

async function openSocketIo(target: Target, spec: ClientSpec): Promise<LoadClient> {
  const socket: Socket = io(target.url, {
    transports: ['websocket'],
    auth: { user: spec.user.id, convs: spec.convs },
    reconnection: false,
    forceNew: true,
    timeout: 30_000,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  let pending = 0;
  const client: LoadClient = {
    send(conv, text, done) {
      pending++;
      socket.emit('send', { conv, content: content(text) }, (ack: { code: number }) => {
        pending--;
        done(ack.code);
      });
    },
    onMessage: () => {},
    get pending() {
      return pending;
    },
    get isOpen() {
      return socket.connected;
    },
    close: () => socket.close(),
  };
  socket.on('data', (msg: { content?: { text?: string } }) => {
    const m = parseText(msg.content?.text ?? '');
    if (m) client.onMessage(m.phase, m.sentUs);
  });
  return client;
}

export function openClient(target: Target, spec: ClientSpec): Promise<LoadClient> {
  return target.kind === 'socket.io' ? openSocketIo(target, spec) : openEnvelope(target, spec);
}
