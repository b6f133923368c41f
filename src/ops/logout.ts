import { fail } from '../protocol/errors.js';
import { endOtherSessions, endSession } from '../domain/sessions.js';
import { ok, type UserOp } from './op.js';
import { LogoutSchema, type LogoutBody } from '../protocol/schemas/logout.js';

/**
 * mvchat addition: `{}` ends the current session (the socket stays open,
 * signed out); `session` ends one of hers, `others` every one but this. Ended
 * sessions' tokens stop working and their sockets close with 4010 on every node.
 */
export const logout: UserOp<LogoutBody> = {
  name: 'logout',
  auth: 'user',
  cost: 2,
  failure: 'databaseError',
  schema: LogoutSchema,
  async handle(ctx, body) {
    const current = ctx.session.group ?? null;
    if (body.others === true) {
      await endOtherSessions(ctx.deps, ctx.userId, current);
      return ok();
    }
    if (body.session !== undefined && body.session !== current) {
      if (!(await endSession(ctx.deps, ctx.userId, body.session))) fail('sessionNotFound');
      return ok();
    }
    // This session: this socket is signed out first (it leaves her delivery index at once) and stays open; its other sockets close.
    if (!(await ctx.session.unbindUser(ctx))) throw new Error('session not signed out: closed, or the logout outlived its deadline');
    if (current !== null) await endSession(ctx.deps, ctx.userId, current, ctx.session.id);
    return ok();
  },
};
