import type { Bus, ControlMessage, DeliveryOptions, LocalDelivery } from './bus.js';
import { ReorderBuffer, type OrderEvents } from './reorder-buffer.js';

/**
 * Single-process bus: publishing is local delivery. The ordered publisher
 * already publishes a conversation's frames in seq order here, so the reorder
 * buffer never waits (hold 0); it only drops a frame published after a newer
 * one (one the publisher gave up waiting for), as every bus does.
 */
export class LocalBus implements Bus {
  readonly #local: ReorderBuffer;

  constructor(
    local: LocalDelivery,
    private readonly nodeId = 'local',
    events?: OrderEvents,
  ) {
    this.#local = new ReorderBuffer(local, { holdMs: 0, events });
  }

  publish(userIds: readonly string[], frame: string, options: DeliveryOptions = {}): void {
    this.#local.deliver(userIds, frame, options);
  }

  async control(userId: string, message: ControlMessage): Promise<void> {
    this.#local.control(userId, { ...message, origin: this.nodeId });
  }

  async close(): Promise<void> {
    this.#local.close();
  }
}
