import type { DeliveryOptions } from '../cluster/bus.js';
import type { Deps } from '../runtime/deps.js';
import { recipientsOf } from '../store/member-snapshot.js';
import { maySeeActivity, PresenceVisibility, type Activity } from './presence-visibility.js';

/**
 * Broadcasts one serialized frame to the active members of a conversation as
 * they are now (PROTOCOL §2.5), minus anyone who blocked `sender` in a DM.
 * The member list is one snapshot at least as new as `memberVersion` (or as
 * the database's current version), so someone removed before the event was
 * stored or before this call receives nothing (DEFECTS 10).
 */
export async function broadcast(
  deps: Deps,
  conversationId: string,
  sender: string,
  frame: string,
  options: DeliveryOptions = {},
  memberVersion?: number,
): Promise<void> {
  // A send passes the member version it committed at; anything else reads the current one.
  const members = await deps.stores.membership.snapshot(conversationId, memberVersion);
  if (!members) return;
  const recipients = recipientsOf(members, sender);
  if (recipients.length > 0) deps.bus.publish(recipients, frame, options);
}

/**
 * Broadcasts `sender`'s activity (typing, read and delivery receipts): as
 * `broadcast`, and only to members the presence-visibility rule lets see
 * that activity of the sender. A DM's snapshot knows its block; in a room
 * the sender's blocks are read once per event. Receipts also read her
 * privacy settings (and, for `contacts`, her contact set) once per event;
 * typing needs no settings. Never a query per recipient.
 */
export async function broadcastActivity(
  deps: Deps,
  conversationId: string,
  sender: string,
  activity: Activity,
  frame: string,
  options: DeliveryOptions = {},
): Promise<void> {
  const members = await deps.stores.membership.snapshot(conversationId);
  if (!members) return;
  const v = await new PresenceVisibility(deps.stores).ofActivity(sender, activity, members);
  const recipients = recipientsOf(members, sender).filter((u) => maySeeActivity(u, sender, activity, v));
  if (recipients.length > 0) deps.bus.publish(recipients, frame, options);
}
