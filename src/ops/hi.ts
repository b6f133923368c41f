import type { PublicOp } from './op.js';
import { HiSchema, type HiBody } from '../protocol/schemas/hi.js';
import { ok } from './op.js';

/** PROTOCOL §3.1: handshake; records client details on the session. */
export const hi: PublicOp<HiBody> = {
  name: 'hi',
  auth: 'none',
  cost: 1,
  failure: 'internalError',
  schema: HiSchema,
  async handle(ctx, body) {
    ctx.session.setClientInfo(body, ctx);
    return ok({ ver: '0.1.0', build: ctx.deps.config.build, sid: ctx.session.id });
  },
};
