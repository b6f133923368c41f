import type { Transaction } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './schema.js';
import { insertContactPair } from './contact-store.js';
import { findOrCreateDm } from './dm-pairs.js';

export type InviteStatus = 'pending' | 'used' | 'revoked' | 'expired';

export interface InviteRecord {
  id: string;
  inviterId: string;
  code: string;
  /** The signed token, sealed with the token key (PROTOCOL §7.6). */
  sealedToken: string;
  email: string;
  name: string | null;
  status: InviteStatus | string;
  usedAt: Date | null;
  usedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A new invite: everything but what redemption fills in later. */
export type NewInvite = Omit<InviteRecord, 'status' | 'usedAt' | 'usedBy'>;

/** One invite connected by a redemption: the inviter and the DM between them. */
export interface Redeemed {
  inviteId: string;
  inviterId: string;
  conv: string;
}

/**
 * Invite codes (PROTOCOL §3.17, §5.12). A pending invite past its expiry is
 * written as `expired` whenever it is looked at. Redemption is one
 * transaction: the invite is claimed by a conditional update, so of two
 * concurrent redemptions exactly one wins, and the DM and the two-way
 * contact exist once whatever the interleaving.
 */
export class InviteStore {
  constructor(private readonly db: Db) {}

  #invite(row: Record<string, any>): InviteRecord {
    const c = this.db.codec;
    return {
      id: row.id,
      inviterId: row.inviter_id,
      code: row.code,
      sealedToken: row.token,
      email: row.email,
      name: row.invitee_name,
      status: row.status,
      usedAt: c.dateOrNull(row.used_at),
      usedBy: row.used_by,
      createdAt: c.date(row.created_at),
      expiresAt: c.date(row.expires_at),
    };
  }

  async insert(i: NewInvite): Promise<void> {
    await this.db.kysely
      .insertInto('invite_codes')
      .values({
        id: i.id,
        inviter_id: i.inviterId,
        code: i.code,
        token: i.sealedToken,
        email: i.email,
        invitee_name: i.name,
        status: 'pending',
        created_at: i.createdAt,
        expires_at: i.expiresAt,
      })
      .execute();
  }

  /** How many invites `inviterId` created at or after `since` (the per-user rate limit). */
  async countCreatedSince(inviterId: string, since: Date): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('invite_codes')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('inviter_id', '=', inviterId)
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Every invite of `inviterId`, newest first, with stale pending ones marked expired first. */
  async listByInviter(inviterId: string, now = new Date()): Promise<InviteRecord[]> {
    await this.db.kysely
      .updateTable('invite_codes')
      .set({ status: 'expired' })
      .where('inviter_id', '=', inviterId)
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .execute();
    const rows = await this.db.kysely
      .selectFrom('invite_codes')
      .selectAll()
      .where('inviter_id', '=', inviterId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.#invite(r));
  }

  /** Revokes the invite only when it is `inviterId`'s own and still pending and unexpired. */
  async revoke(id: string, inviterId: string, now = new Date()): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('invite_codes')
      .set({ status: 'revoked' })
      .where('id', '=', id)
      .where('inviter_id', '=', inviterId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Deletes every invite `inviterId` created, pending or not (account
   * deletion): pending codes stop working, and the addresses she invited are
   * not kept. Contacts made by redeeming them lose only their `invite_id`.
   */
  async deleteAllBy(inviterId: string): Promise<void> {
    await this.db.kysely.deleteFrom('invite_codes').where('inviter_id', '=', inviterId).execute();
  }

  /** The invite with this exact (case-sensitive) code, whatever its status. */
  async findByCode(code: string): Promise<InviteRecord | null> {
    const row = await this.db.kysely.selectFrom('invite_codes').selectAll().where('code', '=', code).executeTakeFirst();
    return row ? this.#invite(row) : null;
  }

  /** Pending invites to `email` (exact, stored lower-case), oldest first. */
  async pendingForEmail(email: string): Promise<InviteRecord[]> {
    const rows = await this.db.kysely
      .selectFrom('invite_codes')
      .selectAll()
      .where('email', '=', email)
      .where('status', '=', 'pending')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.#invite(r));
  }

  async markExpired(id: string): Promise<void> {
    await this.db.kysely.updateTable('invite_codes').set({ status: 'expired' }).where('id', '=', id).where('status', '=', 'pending').execute();
  }

  /**
   * Claims each invite for `redeemerId` and connects its inviter (DM + two-way
   * contact with source 'invite'), all in one transaction. The first invite
   * is required: when it is no longer pending and unexpired nothing is
   * written and 'gone' is returned. Later ones lost to a concurrent
   * redemption are skipped.
   */
  async redeem(invites: readonly { id: string; inviterId: string }[], redeemerId: string, now = new Date()): Promise<Redeemed[] | 'gone'> {
    return this.db.kysely.transaction().execute((trx) => this.redeemIn(trx, invites, redeemerId, now));
  }

  /** `redeem` inside a caller's transaction (sign-up creates the account and redeems in one). */
  async redeemIn(
    trx: Transaction<Database>,
    invites: readonly { id: string; inviterId: string }[],
    redeemerId: string,
    now: Date,
  ): Promise<Redeemed[] | 'gone'> {
    const out: Redeemed[] = [];
    for (const [i, inv] of invites.entries()) {
      const claimed = await trx
        .updateTable('invite_codes')
        .set({ status: 'used', used_at: now, used_by: redeemerId })
        .where('id', '=', inv.id)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) {
        if (i === 0) return 'gone';
        continue;
      }
      const { convId: conv } = await findOrCreateDm(trx, inv.inviterId, redeemerId, now);
      await insertContactPair(trx, inv.inviterId, redeemerId, inv.inviterId, 'invite', inv.id, now);
      out.push({ inviteId: inv.id, inviterId: inv.inviterId, conv });
    }
    return out;
  }
}

/** True for the unique-e-mail violation of `users` (a concurrent sign-up took the address), on either database. */
export function isEmailTakenError(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  if (e?.code === '23505') return e.constraint === 'idx_users_email';
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string' && e.message.includes('users.email');
}
