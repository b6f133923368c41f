import { fail } from '../protocol/errors.js';
import { userSummaries } from '../domain/user-view.js';
import { ok, type UserOp } from './op.js';
import { SearchSchema, type SearchBody } from '../protocol/schemas/search.js';

/** PROTOCOL §3.4, with literal matching and the requester excluded before the limit (§12 item 19). */
export const search: UserOp<SearchBody> = {
  name: 'search',
  auth: 'user',
  cost: 2,
  failure: 'searchFailed',
  schema: SearchSchema,
  async handle(ctx, body) {
    const query = body.query ?? '';
    if (query === '') fail('missingQuery');
    const limit = body.limit !== undefined && body.limit >= 1 && body.limit <= 50 ? body.limit : 20;
    const users = await ctx.deps.stores.accounts.search(query, limit, ctx.userId);
    return ok({ users: await userSummaries(ctx.deps, ctx.userId, users) });
  },
};
