import { ok, type OpResult, type UserOpContext } from '../op.js';
import { liveSessions, sessionView } from '../../domain/sessions.js';

/** mvchat addition: her live sessions (devices), oldest first. */
export async function getSessions(ctx: UserOpContext): Promise<OpResult> {
  const current = ctx.session.group;
  const now = Date.now();
  const list = await liveSessions(ctx.deps, ctx.userId);
  return ok({
    // `online`: a socket of it is signed in here, or it was active within the last two minutes.
    sessions: list.map((s) => sessionView(s, s.id === current, s.id === current || now - s.lastActive.getTime() < 120_000)),
  });
}
