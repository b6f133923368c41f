/** Options of one delivery. */
export interface DeliveryOptions {
  /** Session id to skip (the requesting socket, PROTOCOL §2.5). */
  exceptSession?: string | undefined;
  /** Typing and presence: dropped first for a slow reader. */
  droppable?: boolean;
}

/**
 * Delivers serialized frames to users' sessions wherever they are connected.
 * Guarantees: each session of each listed user receives the frame at most once;
 * frames published by one node to one user arrive in publish order; publish
 * never throws (failures are logged and counted by the implementation).
 */
export interface Bus {
  publish(userIds: readonly string[], frame: string, options?: DeliveryOptions): void;
  close(): Promise<void>;
}

/** Where a bus hands frames for users connected to this node. */
export interface LocalDelivery {
  deliver(userIds: readonly string[], frame: string, options: DeliveryOptions): void;
}
