/**
 * WebSocket close codes this server sends. 1xxx are RFC 6455 codes; 4xxx are ours.
 * Clients should reconnect after every code except AUTH_TIMEOUT/POLICY loops
 * (they reconnect with backoff), and after SLOW_CONSUMER they fetch the gap by seq.
 */
export const CloseCode = {
  /** Server shutting down; reconnect to another node. */
  GOING_AWAY: 1001,
  /** Binary/text frame that is not valid UTF-8 (sent by the ws library). */
  INVALID_PAYLOAD: 1007,
  /** Inbound frame larger than 64 KiB (after decompression). */
  MESSAGE_TOO_BIG: 1009,
  /** Socket write failed or an internal fault; reconnect. */
  INTERNAL_ERROR: 1011,
  /** No successful login within the auth timeout. */
  AUTH_TIMEOUT: 4001,
  /** Peer stopped answering pings within the heartbeat window. */
  HEARTBEAT_TIMEOUT: 4002,
  /** The session kept sending after being rate limited. */
  FLOODING: 4008,
  /** Outbound buffer passed its hard limit; the client reads too slowly. Reconnect and fetch by seq. */
  SLOW_CONSUMER: 4009,
  /** The session was ended (logout of this device, sign-out elsewhere, password change, account deleted): do not reconnect automatically. */
  SESSION_ENDED: 4010,
  /** The account was suspended: do not reconnect automatically. */
  ACCOUNT_SUSPENDED: 4011,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export const CloseReason: Record<CloseCode, string> = {
  1001: 'server shutting down',
  1007: 'invalid payload',
  1009: 'message too big',
  1011: 'internal error',
  4001: 'authentication timeout',
  4002: 'heartbeat timeout',
  4008: 'rate limit exceeded',
  4009: 'slow consumer',
  4010: 'session ended',
  4011: 'account suspended',
};
