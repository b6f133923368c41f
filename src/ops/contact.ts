import { parseUuid } from '../content/uuid.js';
import { fail } from '../protocol/errors.js';
import { step } from './shared/step.js';
import { ok, type OpResult, type UserOp, type UserOpContext } from './op.js';
import { ContactSchema, type ContactBody } from '../protocol/schemas/contact.js';

const MAX_NICKNAME_CHARS = 64;

/** PROTOCOL §3.18: add, remove, or nickname (user + nickname), in that precedence. */
export const contact: UserOp<ContactBody> = {
  name: 'contact',
  auth: 'user',
  cost: 1,
  failure: 'databaseError',
  schema: ContactSchema,
  async handle(ctx, body) {
    if (body.add) return add(ctx, body.add);
    if (body.remove) return remove(ctx, body.remove);
    if (body.user && body.nickname !== undefined) return nickname(ctx, body.user, body.nickname);
    return fail('invalidContactRequest');
  },
};

async function add(ctx: UserOpContext, raw: string): Promise<OpResult> {
  const id = parseUuid(raw);
  if (!id) return fail('invalidUserId');
  if (id === ctx.userId) fail('cannotAddYourself');
  const user = await ctx.deps.stores.accounts.getUser(id);
  if (!user || user.state === 'deleted') return fail('userNotFound');
  await step(ctx, 'addContactFailed', () => ctx.deps.stores.contacts.add(ctx.userId, id));
  return ok({ user: id, public: user.public ?? null });
}

async function remove(ctx: UserOpContext, raw: string): Promise<OpResult> {
  const id = parseUuid(raw);
  if (!id) return fail('invalidUserId');
  await step(ctx, 'removeContactFailed', () => ctx.deps.stores.contacts.remove(ctx.userId, id));
  return ok({ user: id });
}

async function nickname(ctx: UserOpContext, raw: string, nick: string): Promise<OpResult> {
  const id = parseUuid(raw);
  if (!id) return fail('invalidUserId');
  if ([...nick].length > MAX_NICKNAME_CHARS) fail('nicknameTooLong');
  await step(ctx, 'updateNicknameFailed', () => ctx.deps.stores.contacts.setNickname(ctx.userId, id, nick));
  return ok({ user: id, nickname: nick });
}
