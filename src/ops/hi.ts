import type { PublicOp } from './op.js';
import { object, str } from './schema-parts.js';
import { ok } from './op.js';

interface HiBody {
  ver?: string;
  ua?: string;
  dev?: string;
  lang?: string;
}

/** PROTOCOL §3.1: handshake; records client details on the session. */
export const hi: PublicOp<HiBody> = {
  name: 'hi',
  auth: 'none',
  cost: 1,
  failure: 'internalError',
  schema: object({ ver: str(32), ua: str(255), dev: str(128), lang: str(16) }),
  async handle(ctx, body) {
    ctx.session.setClientInfo(body);
    return ok({ ver: '0.1.0', build: ctx.deps.config.build, sid: ctx.session.id });
  },
};
