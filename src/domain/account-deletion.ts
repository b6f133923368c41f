import type { Deps } from '../runtime/deps.js';
import { CloseCode } from '../protocol/close-codes.js';
import { infoFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { logEvents } from './sync/sync-log.js';
import { broadcast } from './fanout.js';

/** Where the bytes of erased files are removed (the node's file storage). */
export interface FileBytes {
  remove(key: string): Promise<void>;
}

export interface DeletionContext {
  deps: Deps;
  files: FileBytes;
  userId: string;
}

/** One erase step: named (its name is recorded when done) and idempotent (it may run again after a crash or a lost lease). */
export interface DeletionStep {
  readonly name: string;
  run(ctx: DeletionContext): Promise<void>;
}

/**
 * What runs after the account was marked deleted (`AccountDeletionStore.markDeleted`),
 * in this order. A job resumes after the last step recorded as done; a step
 * name it does not know (a list changed between versions) starts it over,
 * which is safe because every step may run again. Add a step by adding one
 * line here.
 */
export const DELETION_STEPS: readonly DeletionStep[] = [
  { name: 'end-sessions', run: endSessions },
  { name: 'erase-sessions', run: ({ deps, userId }) => deps.stores.sessions.deleteAllFor(userId) },
  { name: 'revoke-invites', run: ({ deps, userId }) => deps.stores.invites.deleteAllBy(userId) },
  { name: 'erase-contacts', run: ({ deps, userId }) => deps.stores.contacts.removeAllOf(userId) },
  { name: 'leave-rooms', run: leaveRooms },
  { name: 'erase-message-traces', run: ({ deps, userId }) => deps.stores.deletions.eraseMessageTraces(userId) },
  { name: 'erase-files', run: eraseFiles },
];

/** Every socket of hers, on every node, closes with 4010 (do not reconnect). */
async function endSessions({ deps, userId }: DeletionContext): Promise<void> {
  await deps.bus.control(userId, { kind: 'end-sessions', code: CloseCode.SESSION_ENDED, reason: 'account deleted' });
}

/** She leaves every room; the others hear `member_left` and, for a room she owned, `role_changed` of its new owner. */
async function leaveRooms({ deps, userId }: DeletionContext): Promise<void> {
  for (const conv of await deps.stores.membership.activeRoomsOf(userId)) {
    const r = await deps.stores.membership.leaveForGood(conv, userId);
    if (r.outcome !== 'left') continue;
    const ts = formatTs(new Date());
    const [left, promoted] = await logEvents(deps, [
      { conversationId: conv, userId: null, kind: 'member_left', from: userId },
      ...(r.newOwner ? [{ conversationId: conv, userId: null, kind: 'role_changed', from: userId, subject: r.newOwner, extra: 'owner' } as const] : []),
    ]);
    await broadcast(deps, conv, userId, infoFrame({ conv, from: userId, what: 'member_left', ts, cursor: left }));
    if (r.newOwner) {
      await broadcast(
        deps,
        conv,
        userId,
        infoFrame({ conv, from: userId, what: 'role_changed', user: r.newOwner, content: { role: 'owner' }, ts, cursor: promoted }),
      );
    }
  }
}

/** Files only she could still see: rows hidden, bytes removed (unless another live row shares them), rows deleted. */
async function eraseFiles({ deps, files, userId }: DeletionContext): Promise<void> {
  const keys = await deps.stores.files.eraseUnsharedOf(userId);
  for (const key of keys) {
    try {
      await files.remove(key);
    } catch (err) {
      // A key that is not ours (a reference-era row) has no bytes here to remove.
      deps.log.warn({ err, user: userId }, 'account deletion: file bytes not removed');
    }
  }
  await deps.stores.files.purgeErased(userId);
}

export interface AccountDeletionOptions {
  /** How long a node holds a job without recording progress before another may take it over. */
  leaseMs: number;
  steps?: readonly DeletionStep[];
}

/**
 * Runs erase jobs: the one just requested at once, unfinished ones (a crash,
 * a failed step, a dead node) from the periodic sweep. A job is claimed with
 * a conditional update (a lease), so nodes sweeping together never both run
 * it; each step done is recorded and renews the lease. A failed step lets the
 * lease go and the job is tried again by the next sweep.
 */
export class AccountDeletions {
  readonly #running = new Set<string>();
  readonly #steps: readonly DeletionStep[];

  constructor(
    private readonly deps: Deps,
    private readonly files: FileBytes,
    private readonly options: AccountDeletionOptions,
  ) {
    this.#steps = options.steps ?? DELETION_STEPS;
  }

  /** Starts the job of `userId` in the background (it is already recorded; the sweep retries it if this fails). */
  start(userId: string): void {
    void this.deps.tasks.run('account-deletion', () => this.run(userId), 10 * 60_000);
  }

  /** Claims and runs whatever unfinished jobs are free. */
  async sweep(): Promise<void> {
    for (const userId of await this.deps.stores.deletions.claimable(20)) await this.run(userId);
  }

  /** Runs one job from where it stopped: `done`, `busy` (another node or run holds it) or `failed` (to be retried). */
  async run(userId: string): Promise<'done' | 'busy' | 'failed'> {
    if (this.#running.has(userId)) return 'busy';
    this.#running.add(userId);
    const { stores, log, config } = this.deps;
    const owner = config.nodeId;
    const leaseUntil = () => new Date(Date.now() + this.options.leaseMs);
    try {
      const job = await stores.deletions.claim(userId, owner, leaseUntil());
      if (!job) return 'busy';
      const from = job.lastStep === null ? 0 : this.#steps.findIndex((s) => s.name === job.lastStep) + 1;
      for (const step of this.#steps.slice(from)) {
        try {
          await step.run({ deps: this.deps, files: this.files, userId });
        } catch (err) {
          log.warn({ err, user: userId, step: step.name, attempt: job.attempts }, 'account deletion step failed; will retry');
          await stores.deletions.release(userId, owner).catch(() => undefined);
          return 'failed';
        }
        if (!(await stores.deletions.stepDone(userId, owner, step.name, leaseUntil()))) return 'busy';
      }
      if (!(await stores.deletions.finish(userId, owner))) return 'busy';
      log.info({ user: userId }, 'account deletion finished');
      return 'done';
    } catch (err) {
      log.warn({ err, user: userId }, 'account deletion interrupted; will retry');
      return 'failed';
    } finally {
      this.#running.delete(userId);
    }
  }
}
