import type { Bus, DeliveryOptions, LocalDelivery } from './bus.js';

/** Single-process bus: publishing is local delivery. */
export class LocalBus implements Bus {
  constructor(private readonly local: LocalDelivery) {}

  publish(userIds: readonly string[], frame: string, options: DeliveryOptions = {}): void {
    this.local.deliver(userIds, frame, options);
  }

  async close(): Promise<void> {}
}
