import type { SocketLike } from './socket.js';

/**
 * Frames written to one socket during one turn of the event loop (a group
 * commit's acknowledgements, a burst of room messages) leave in a single
 * write: the socket is corked at its first frame and uncorked once the turn's
 * callbacks and promise continuations are done. Nothing waits longer than
 * that turn.
 */
const held = new Set<SocketLike>();

function releaseAll(): void {
  for (const socket of held) socket.uncork!();
  held.clear();
}

export function holdWritesThisTurn(socket: SocketLike): void {
  if (!socket.cork || held.has(socket)) return;
  socket.cork();
  if (held.size === 0) process.nextTick(releaseAll);
  held.add(socket);
}
