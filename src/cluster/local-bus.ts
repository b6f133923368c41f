import type { Bus, ControlMessage, DeliveryOptions, LocalDelivery } from './bus.js';

/** Single-process bus: publishing is local delivery. */
export class LocalBus implements Bus {
  constructor(
    private readonly local: LocalDelivery,
    private readonly nodeId = 'local',
  ) {}

  publish(userIds: readonly string[], frame: string, options: DeliveryOptions = {}): void {
    this.local.deliver(userIds, frame, options);
  }

  async control(userId: string, message: ControlMessage): Promise<void> {
    this.local.control(userId, { ...message, origin: this.nodeId });
  }

  async close(): Promise<void> {}
}
