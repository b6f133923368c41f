import type { DeliveryOptions } from '../cluster/bus.js';
import type { Services } from './services.js';

/**
 * Broadcasts one serialized frame to the active members of a conversation as
 * they are now (PROTOCOL §2.5), minus anyone who blocked `sender` in a DM.
 * The member list is read once: a snapshot, so someone removed before this
 * call receives nothing (DEFECTS 10).
 */
export async function broadcast(
  services: Services,
  conversationId: string,
  sender: string,
  frame: string,
  options: DeliveryOptions = {},
): Promise<void> {
  const recipients = await services.stores.membership.recipients(conversationId, sender);
  if (recipients.length > 0) services.bus.publish(recipients, frame, options);
}
