import { sql } from 'kysely';
import type { Db } from './database.js';

/** An unfinished deletion job as a node claims it. */
export interface DeletionJob {
  userId: string;
  requestedAt: Date;
  /** Name of the last erase step done; null before the first. */
  lastStep: string | null;
  attempts: number;
}

/**
 * Account deletion, the durable part. `markDeleted` is the instant the account
 * is gone for everyone: in one transaction the user row becomes a tombstone
 * (state `deleted`, profile, e-mail, private data and presence traces
 * cleared, token epoch raised), every credential gets an unusable secret (the
 * login name stays, so the name stays taken), her DM memberships end (which
 * raises the member version, so every node's snapshot sees her gone) and the
 * erase job is recorded. The rest is done by named steps under a lease.
 */
export class AccountDeletionStore {
  constructor(private readonly db: Db) {}

  /** False when the account does not exist or is already deleted (nothing written). */
  async markDeleted(userId: string, unusableSecret: string, now = new Date()): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('users')
        .set((eb) => ({
          state: 'deleted',
          state_at: now,
          updated_at: now,
          token_epoch: eb('token_epoch', '+', 1),
          public: null,
          search_name: null,
          private: null,
          email: null,
          email_verified: false,
          email_verification_token: null,
          email_verification_expires: null,
          lang: null,
          last_seen: null,
          user_agent: '',
          must_change_password: false,
        }))
        .where('id', '=', userId)
        .where('state', '!=', 'deleted')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await trx.updateTable('auth').set({ secret: unusableSecret, expires_at: null }).where('user_id', '=', userId).execute();
      await trx
        .updateTable('members')
        .set({ deleted_at: now, updated_at: now, private: null })
        .where('user_id', '=', userId)
        .where('deleted_at', 'is', null)
        .where('conversation_id', 'in', (eb) =>
          eb
            .selectFrom('dm_participants')
            .select('conversation_id')
            .where((w) => w.or([w('user1_id', '=', userId), w('user2_id', '=', userId)])),
        )
        .execute();
      await trx
        .insertInto('account_deletions')
        .values({ user_id: userId, requested_at: now })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
      return true;
    });
  }

  /**
   * Takes the job of `userId` for `owner` until `leaseUntil`, when it is
   * unfinished and its lease is free, expired or already `owner`'s: one
   * conditional update, so of several nodes exactly one gets it.
   */
  async claim(userId: string, owner: string, leaseUntil: Date, now = new Date()): Promise<DeletionJob | null> {
    const r = await this.db.kysely
      .updateTable('account_deletions')
      .set((eb) => ({ lease_owner: owner, lease_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
      .where('user_id', '=', userId)
      .where('done_at', 'is', null)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return null;
    const row = await this.db.kysely.selectFrom('account_deletions').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row) return null;
    return { userId, requestedAt: this.db.codec.date(row.requested_at), lastStep: row.last_step, attempts: row.attempts };
  }

  /** Unfinished jobs whose lease is free or expired (candidates to claim), oldest first. */
  async claimable(limit: number, now = new Date()): Promise<string[]> {
    const rows = await this.db.kysely
      .selectFrom('account_deletions')
      .select('user_id')
      .where('done_at', 'is', null)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('requested_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.user_id);
  }

  /** Records `step` done and renews the lease; false when `owner` no longer holds the job. */
  async stepDone(userId: string, owner: string, step: string, leaseUntil: Date): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('account_deletions')
      .set({ last_step: step, lease_until: leaseUntil })
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner)
      .where('done_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Lets the job go (after a failed step), so the next attempt, here or on another node, may claim it at once. */
  async release(userId: string, owner: string): Promise<void> {
    await this.db.kysely
      .updateTable('account_deletions')
      .set({ lease_owner: null, lease_until: null })
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async finish(userId: string, owner: string, now = new Date()): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('account_deletions')
      .set({ done_at: now, lease_owner: null, lease_until: null })
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner)
      .where('done_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The job's state, for tests and operators. */
  async get(userId: string): Promise<{ lastStep: string | null; done: boolean; attempts: number } | null> {
    const row = await this.db.kysely.selectFrom('account_deletions').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? { lastStep: row.last_step, done: row.done_at !== null, attempts: row.attempts } : null;
  }

  /**
   * Her traces in messages that nobody else sees: her delete-for-me marks and
   * read records, the stored content of her own unsent or
   * deleted-for-everyone messages (kept in storage by the spec; nobody can
   * read it any more, so it is wiped), and in the sync log her own events
   * and her read and delivery receipts.
   */
  async eraseMessageTraces(userId: string): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('message_deletions').where('user_id', '=', userId).execute();
      await trx.deleteFrom('message_reads').where('user_id', '=', userId).execute();
      await trx
        .updateTable('messages')
        .set({ content: null, content_key_id: null })
        .where('from_user_id', '=', userId)
        .where('deleted_at', 'is not', null)
        .where('content', 'is not', null)
        .execute();
      await trx.updateTable('members').set({ private: null }).where('user_id', '=', userId).where(sql.ref('private'), 'is not', null).execute();
      // The sync log: her own events (what she hid, cleared, set), and when she read or received what others wrote.
      await trx.deleteFrom('sync_events').where('user_id', '=', userId).execute();
      await trx.deleteFrom('sync_events').where('from_user', '=', userId).where('kind', 'in', ['read', 'recv']).execute();
    });
  }
}
