import { Ajv, type ValidateFunction } from 'ajv';
import { ctrlFrame } from '../protocol/frames.js';
import { Errors, type ErrorName } from '../protocol/errors.js';
import { OpError } from '../protocol/op-error.js';
import { frameText, parseEnvelope, requestId } from '../protocol/envelope.js';
import { OP_NAMES, type OpName } from '../protocol/op-names.js';
import type { Deps } from '../runtime/deps.js';
import type { DispatchSession, OpDefinition, OpResult, UserOpContext } from './op.js';
import { dropNulls } from '../protocol/drop-nulls.js';
import { CloseCode } from '../protocol/close-codes.js';

/** Bound on one request's work (PROTOCOL §1.2 handler deadline). */
export const HANDLER_DEADLINE_MS = 30_000;

/** A session's `lastActive` is written at most this often by one socket. */
const ACTIVITY_WRITE_MS = 60_000;

export interface DispatcherOptions {
  /** The handler deadline; tests shorten it. */
  handlerDeadlineMs?: number;
}

interface CompiledOp {
  def: OpDefinition;
  validate: ValidateFunction;
}

/** Checks that every op declares what the dispatcher enforces; a missing declaration is a startup error. */
export function checkOpTable(table: Record<OpName, OpDefinition>): void {
  for (const name of OP_NAMES) {
    const def = table[name];
    if (!def) throw new Error(`op "${name}" is not registered`);
    if (def.name !== name) throw new Error(`op table entry "${name}" declares name "${def.name}"`);
    if (def.auth !== 'none' && def.auth !== 'user') throw new Error(`op "${name}" declares no auth need`);
    if (!(typeof def.cost === 'number' && def.cost > 0)) throw new Error(`op "${name}" declares no rate cost`);
    if (!def.schema || typeof def.schema !== 'object') throw new Error(`op "${name}" declares no schema`);
    if (!(def.failure in Errors)) throw new Error(`op "${name}" declares no failure error`);
    if (typeof def.handle !== 'function') throw new Error(`op "${name}" has no handler`);
  }
}

/** Generic path of every frame: envelope, op lookup, rate cost, auth gate, schema, handler, reply. */
export class Dispatcher {
  readonly #ops = new Map<OpName, CompiledOp>();
  readonly #deadlineMs: number;

  constructor(
    table: Record<OpName, OpDefinition>,
    private readonly deps: Deps,
    options: DispatcherOptions = {},
  ) {
    this.#deadlineMs = options.handlerDeadlineMs ?? HANDLER_DEADLINE_MS;
    checkOpTable(table);
    const ajv = new Ajv({ allErrors: false, strict: false });
    for (const name of OP_NAMES) {
      const def = table[name];
      this.#ops.set(name, { def, validate: ajv.compile(def.schema) });
    }
  }

  rejectFrame(session: DispatchSession, raw: Buffer | string): void {
    const text = frameText(raw);
    this.#reply(session, text === null ? undefined : requestId(text), 'rateLimited');
    this.deps.metrics.rejected('rate');
  }

  async handleFrame(session: DispatchSession, raw: Buffer | string): Promise<void> {
    const text = frameText(raw);
    if (text === null) return this.#reply(session, undefined, 'malformed');
    const env = parseEnvelope(text);
    if (!env.ok) return this.#reply(session, env.id, env.error);

    const op = this.#ops.get(env.op);
    if (!op) return this.#reply(session, env.id, 'missingType');
    const { def } = op;
    if (def.cost > 1 && !session.bucket.take(def.cost - 1)) {
      session.strike();
      return this.#reply(session, env.id, 'rateLimited');
    }
    if (typeof env.body !== 'object' || env.body === null || Array.isArray(env.body)) return this.#reply(session, env.id, 'malformed');
    const body = dropNulls(env.body);
    const auth = def.authFor?.(body) ?? def.auth;
    if (auth === 'user' && session.userId === null) return this.#reply(session, env.id, 'authRequired');
    if (!op.validate(body)) return this.#reply(session, env.id, 'malformed');

    this.deps.metrics.op(env.op);
    this.#markActive(session);
    let result: OpResult;
    try {
      const ctx = {
        id: env.id,
        session,
        deps: this.deps,
        userId: session.userId,
        expired: false,
        get log() {
          return session.log;
        },
      } as Mutable<UserOpContext>;
      result = await withDeadline((def.handle as (c: UserOpContext, b: unknown) => Promise<OpResult>)(ctx, body), this.#deadlineMs, () => {
        // From here on the op may not change the session (bindUser, setClientInfo refuse it).
        ctx.expired = true;
        // It changed who the socket is before stalling, and its answer will be an error:
        // close rather than leave a socket signed in that its client believes signed out.
        if (session.userId !== ctx.userId) session.close(CloseCode.INTERNAL_ERROR);
      });
    } catch (err) {
      if (err instanceof OpError) {
        this.deps.metrics.error(err.code);
        session.send(ctrlFrame(env.id, err.code, err.text));
        return;
      }
      const unavailable = this.deps.health.isUnavailable(err);
      if (unavailable) this.deps.metrics.backendErrors.inc({ backend: 'database' });
      session.log.error({ err, op: env.op }, unavailable ? 'backend unavailable' : 'op failed');
      return this.#reply(session, env.id, unavailable ? 'unavailable' : def.failure);
    }
    if (result === null) return;
    session.send(ctrlFrame(env.id, result.code, 'ok', result.params));
    if (result.after) {
      try {
        await result.after();
      } catch (err) {
        session.log.error({ err, op: env.op }, 'notification after reply failed');
      }
    }
  }

  /** Her session's `lastActive`, written at most once a minute per socket, in the background. */
  #markActive(session: DispatchSession): void {
    const group = session.group;
    if (group === undefined || session.userId === null) return;
    const now = Date.now();
    if (now - session.activityMark < ACTIVITY_WRITE_MS) return;
    session.activityMark = now;
    void this.deps.tasks.run('session-activity', () => this.deps.stores.sessions.touch(group, new Date(now)));
  }

  #reply(session: DispatchSession, id: string | undefined, error: ErrorName): void {
    const [code, text] = Errors[error];
    this.deps.metrics.error(code);
    session.send(ctrlFrame(id, code, text));
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function withDeadline<T>(work: Promise<T>, ms: number, expire: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expire();
      reject(new Error('handler deadline exceeded'));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
