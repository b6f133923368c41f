/** Where a frame stands in its conversation's order: a `data` frame's conversation and seq. */
export interface OrderKey {
  readonly conv: string;
  readonly seq: number;
}

/** Options of one delivery. */
export interface DeliveryOptions {
  /** Session id to skip (the requesting socket, PROTOCOL §2.5). */
  exceptSession?: string | undefined;
  /** Typing and presence: dropped first for a slow reader. */
  droppable?: boolean;
  /** Frames with a key reach sessions in seq order per conversation, whichever node published them. */
  order?: OrderKey | undefined;
}

/**
 * End sessions of one user: each chosen socket is closed with `code` (a
 * WebSocket close code) and `reason`. With no selector every session of the
 * user ends (sign out everywhere, suspended account); `session` narrows it to
 * the sessions of one session group (one login; a session with no group is
 * its own group, so a session id works); `exceptSession` keeps one socket
 * open (sign out everywhere else).
 */
export interface EndSessions {
  readonly kind: 'end-sessions';
  readonly code: number;
  readonly reason?: string | undefined;
  /** Only sessions whose group (or id) is this. */
  readonly session?: string | undefined;
  /** This session id stays open. */
  readonly exceptSession?: string | undefined;
  /** The sessions of this group (or id) stay open (end every other login). */
  readonly exceptGroup?: string | undefined;
}

/**
 * A frame for the sessions of one user that asked for notices, wherever they
 * are connected, except those of session group `exceptGroup`.
 */
export interface Notice {
  readonly kind: 'notice';
  readonly frame: string;
  readonly exceptGroup?: string | undefined;
}

/** A command to one user's sessions on every node, tagged by `kind`. */
export type ControlMessage = EndSessions | Notice;

/** A control message as a node applies it: stamped with the node that issued it. */
export type ReceivedControl = ControlMessage & { readonly origin: string };

/**
 * Delivers serialized frames to users' sessions wherever they are connected.
 * Guarantees: each session of each listed user receives the frame at most once;
 * frames published by one node to one user arrive in publish order; publish
 * never throws (failures are logged and counted by the implementation).
 *
 * Frames with an order key (a conversation's `data` frames) reach each
 * session in seq order whatever node published them (ReorderBuffer): a frame
 * above a missing seq waits at most the implementation's hold (0 in process,
 * where the ordered publisher already publishes in seq order), then goes on
 * without it; a frame at or below a seq already handed on is dropped. Frames
 * without a key never wait for keyed ones, nor do control messages: while a
 * keyed frame is held, later frames of its node may reach the session first.
 *
 * `control` sends a ControlMessage to every session of one user on every
 * node, whether or not presence knows the user is there. It is applied to
 * this node's sessions before it returns, and on other nodes after the frames
 * this node published earlier (so a frame sent just before ending a session
 * reaches it first). The promise settles once the message is handed to every
 * node; it rejects when that failed (this node's sessions are already done).
 */
export interface Bus {
  publish(userIds: readonly string[], frame: string, options?: DeliveryOptions): void;
  control(userId: string, message: ControlMessage): Promise<void>;
  close(): Promise<void>;
}

/** Where a bus hands frames and control messages for users connected to this node. */
export interface LocalDelivery {
  deliver(userIds: readonly string[], frame: string, options: DeliveryOptions): void;
  /** Applies a control message to this node's sessions of `userId`. */
  control(userId: string, message: ReceivedControl): void;
}
