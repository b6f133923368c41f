/**
 * The mvchat protocol client. `connect` uses Node's `ws` package; with another
 * WebSocket (a browser's), call `MvchatClient.connect` with its own `SocketOpener`.
 */
import type WebSocket from 'ws';
import { MvchatClient, type ClientOptions } from './mvchat-client.js';
import { wsOpener } from './ws-socket.js';

export { basicSecret } from './credentials.js';
export { ConnectionClosedError, TimeoutError } from './errors.js';
export { isSuccess, parseServerFrame, type ClientFrame, type Ctrl, type Data, type Info, type Pres, type ServerFrame } from './frames.js';
export {
  MvchatClient,
  type ClientOptions,
  type CloseInfo,
  type FrameListener,
  type FramePredicate,
  type ListenOptions,
  type WaitOptions,
} from './mvchat-client.js';
export type { ClientSocket, SocketEvents, SocketOpener } from './socket.js';
export { catchUp, cursorOf, SeenFrames, SyncError, type CatchUp } from './sync.js';
export { WsSocket, wsOpener } from './ws-socket.js';

export interface NodeConnectOptions extends Omit<ClientOptions, 'open'> {
  /** Options for the `ws` socket (headers, origin, perMessageDeflate, ...). */
  ws?: WebSocket.ClientOptions;
}

/** Connects to `url` over Node's `ws`. */
export function connect(url: string, options: NodeConnectOptions = {}): Promise<MvchatClient> {
  const { ws, ...rest } = options;
  return MvchatClient.connect(url, { ...rest, open: wsOpener(ws) });
}
