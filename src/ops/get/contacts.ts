import { fail } from '../../protocol/errors.js';
import { formatTs } from '../../protocol/time.js';
import { presenceFor } from '../../domain/user-view.js';
import type { ContactRecord } from '../../store/contact-store.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.6: the requester's own contacts, newest first. */
export async function getContacts(ctx: UserOpContext, _body: GetBody): Promise<OpResult> {
  let contacts: ContactRecord[];
  let online: Set<string>;
  let hidden: Set<string>;
  try {
    contacts = await ctx.deps.stores.contacts.list(ctx.userId);
    ({ online, hidden } = await presenceFor(
      ctx.deps,
      ctx.userId,
      contacts.filter((c) => c.user.state !== 'deleted').map((c) => c.contactId),
    ));
  } catch (err) {
    if (ctx.deps.health.isUnavailable(err)) throw err;
    ctx.log.error({ err }, 'contact list failed');
    return fail('getContactsFailed');
  }
  return ok({
    contacts: contacts.map((c) => {
      const item: Record<string, unknown> = { user: c.contactId, source: c.source, createdAt: formatTs(c.createdAt) };
      if (c.nickname !== null) item.nickname = c.nickname;
      if (c.user.state !== 'deleted') {
        item.public = c.user.public ?? null;
        // A contact whose presence is hidden from the requester looks like one who never came online.
        const shown = !hidden.has(c.contactId);
        item.online = shown && online.has(c.contactId);
        if (shown && c.user.lastSeen) item.lastSeen = formatTs(c.user.lastSeen);
      }
      return item;
    }),
  });
}
