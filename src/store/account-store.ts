import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { Db } from './database.js';

export interface UserRecord {
  id: string;
  state: 'ok' | 'suspended' | 'deleted' | string;
  public: unknown;
  lastSeen: Date | null;
  mustChangePassword: boolean;
  email: string | null;
  emailVerified: boolean;
  lang: string | null;
  tokenEpoch: number;
  /** Tokens naming no session issued before this (Unix seconds) are refused. */
  sessionCutoff: number;
  /**
   * Her private data (`desc.private`), only read by `getUser` (one account);
   * lists of users never carry it. Only ever sent to the account's owner.
   */
  private?: unknown;
  /** Her privacy settings (`acc me {privacy}`), only read by `getUser`; only ever sent to the account's owner. */
  privacy?: { presence: string; readReceipts: boolean };
}

export interface NewAccount {
  id: string;
  username: string;
  passwordHash: string;
  public: unknown;
  private?: unknown;
  email: string | null;
  emailVerified: boolean;
  mustChangePassword: boolean;
  verificationToken?: { token: string; expires: Date } | undefined;
}

/** A new address for `acc me`: stored unverified; `null` clears it. */
export interface EmailChange {
  address: string | null;
  /** The flag an account without an address carries (true when verification is off, as at sign-up). */
  verifiedWhenEmpty: boolean;
  /** The verification token to store with the address (verification on). */
  token: { token: string; expires: Date } | null;
}

export interface AccountChanges {
  public?: unknown;
  private?: unknown;
  passwordHash?: string;
  email?: EmailChange;
  lang?: string;
  privacy?: { presence?: string; readReceipts?: boolean };
}

/**
 * `mail`: the address was stored with the change's token and its verification
 * mail should go out. No mail when the address is unchanged and already
 * verified, or when another account holds it verified (that account's owner
 * gets no mail, and the reply is the same either way).
 */
export type AccountUpdateResult = { mail: boolean; emailVerified?: boolean };

/**
 * Users and their credentials. Sign-up is atomic: either the user and its
 * auth row both exist or neither does, and of two sign-ups with one username
 * exactly one succeeds.
 */
export class AccountStore {
  constructor(private readonly db: Db) {}

  #user(row: Record<string, any>): UserRecord {
    const c = this.db.codec;
    return {
      id: row.id,
      state: row.state,
      public: c.json(row.public),
      lastSeen: c.dateOrNull(row.last_seen),
      mustChangePassword: c.bool(row.must_change_password),
      email: row.email,
      emailVerified: c.bool(row.email_verified),
      lang: row.lang,
      tokenEpoch: row.token_epoch ?? 0,
      sessionCutoff: Number(row.session_cutoff ?? 0),
    };
  }

  /** Creates user + basic auth row (and `within`) in one transaction; 'taken' when the username exists (nothing written). */
  async createAccount(a: NewAccount, within?: (trx: Transaction<Database>) => Promise<void>): Promise<'created' | 'taken' | 'email-taken'> {
    const k = this.db.kysely;
    return k
      .transaction()
      .execute(async (trx) => {
        const existing = await trx.selectFrom('auth').select('id').where('scheme', '=', 'basic').where('uname', '=', a.username).executeTakeFirst();
        if (existing) return 'taken';
        if (a.email) {
          // Only a verified address holds the slot; an unverified one never keeps its owner out.
          const owner = await trx.selectFrom('users').select('id').where('email', '=', a.email).where('email_verified', '=', true).executeTakeFirst();
          if (owner) return 'email-taken';
        }
        const now = new Date();
        await trx
          .insertInto('users')
          .values({
            id: a.id,
            created_at: now,
            updated_at: now,
            public: this.db.codec.toJson(a.public),
            search_name: searchName(a.public),
            private: a.private === undefined || a.private === null ? null : this.db.codec.toJson(a.private),
            email: a.email,
            email_verified: a.emailVerified,
            must_change_password: a.mustChangePassword,
            email_verification_token: a.verificationToken?.token ?? null,
            email_verification_expires: a.verificationToken?.expires ?? null,
          })
          .execute();
        // A concurrent sign-up with the same name loses on the unique (scheme, uname) key and rolls back.
        const inserted = await trx
          .insertInto('auth')
          .values({ id: crypto.randomUUID(), user_id: a.id, scheme: 'basic', secret: a.passwordHash, uname: a.username, created_at: now })
          .onConflict((oc) => oc.columns(['scheme', 'uname']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new UsernameRace();
        // More work that must commit with the account (redeeming its invites); throwing undoes all of it.
        if (within) await within(trx);
        return 'created';
      })
      .catch((err: unknown) => {
        if (err instanceof UsernameRace) return 'taken' as const;
        throw err;
      });
  }

  async findBasicAuth(username: string): Promise<{ userId: string; secret: string } | null> {
    const row = await this.db.kysely
      .selectFrom('auth')
      .select(['user_id', 'secret'])
      .where('scheme', '=', 'basic')
      .where('uname', '=', username)
      .executeTakeFirst();
    return row ? { userId: row.user_id, secret: row.secret } : null;
  }

  async findBasicAuthByUser(userId: string): Promise<{ username: string; secret: string } | null> {
    const row = await this.db.kysely
      .selectFrom('auth')
      .select(['uname', 'secret'])
      .where('scheme', '=', 'basic')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? { username: row.uname ?? '', secret: row.secret } : null;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const fast = this.db.sqlite;
    // Every login reads its user: a prepared statement on the embedded default.
    const row = fast
      ? await fast.exclusive(() => fast.prepare('select * from users where id = ?').get(id) as Record<string, unknown> | undefined)
      : await this.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const privacy = { presence: String(row.presence_privacy), readReceipts: this.db.codec.bool(row.read_receipts as boolean | number) };
    return { ...this.#user(row), private: this.db.codec.json(row.private ?? null), privacy };
  }

  /** Users by id in one query; unknown ids are absent from the map. */
  async getUsers(ids: readonly string[]): Promise<Map<string, UserRecord>> {
    const out = new Map<string, UserRecord>();
    if (ids.length === 0) return out;
    const rows = await this.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('id', 'in', [...new Set(ids)])
      .execute();
    for (const row of rows) out.set(row.id, this.#user(row));
    return out;
  }

  async recordLogin(userId: string, at: Date, userAgent: string): Promise<void> {
    const fast = this.db.sqlite;
    if (fast) {
      // Logins arriving together share one commit.
      await fast.grouped(() =>
        fast
          .prepare("update users set last_seen = ?, user_agent = ? where id = ? and state != 'deleted'")
          .run(at.toISOString(), userAgent.slice(0, 255), userId),
      );
      return;
    }
    await this.db.kysely
      .updateTable('users')
      .set({ last_seen: at, user_agent: userAgent.slice(0, 255) })
      .where('id', '=', userId)
      .where('state', '!=', 'deleted')
      .execute();
  }

  /** Suspends the account (its sessions are ended by the caller); false when it does not exist or is deleted. */
  async suspend(userId: string, at = new Date()): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('users')
      .set({ state: 'suspended', state_at: at, updated_at: at })
      .where('id', '=', userId)
      .where('state', '!=', 'deleted')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Final disconnect (PROTOCOL §4.3). A deleted account keeps no trace of it (her last socket closes after the erase). */
  async recordOffline(userId: string, at: Date): Promise<void> {
    await this.db.kysely.updateTable('users').set({ last_seen: at, user_agent: '' }).where('id', '=', userId).where('state', '!=', 'deleted').execute();
  }

  /**
   * Active (`ok`) users whose display name contains `query`, case-insensitively
   * and literally (no wildcards), ordered by name, excluding `exceptUser`
   * before the limit is applied (§12 item 19).
   */
  async search(query: string, limit: number, exceptUser: string): Promise<UserRecord[]> {
    const pattern = `%${query.toLowerCase().replace(/[\\%_]/g, (m) => '\\' + m)}%`;
    const rows = await this.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('state', '=', 'ok')
      .where('id', '!=', exceptUser)
      .where(sql<boolean>`search_name like ${pattern} escape '\\'`)
      .orderBy('search_name')
      .limit(limit)
      .execute();
    return rows.map((r) => this.#user(r));
  }

  /** Applies every change of `acc me` in one transaction (§12 item 14). */
  async updateAccount(userId: string, ch: AccountChanges): Promise<AccountUpdateResult> {
    return this.db.kysely.transaction().execute(async (trx) => {
      let mail = false;
      let verified: boolean | undefined;
      const set: Record<string, unknown> = { updated_at: new Date() };
      if ('public' in ch) {
        set.public = this.db.codec.toJson(ch.public);
        set.search_name = searchName(ch.public);
      }
      if ('private' in ch) set.private = ch.private === undefined || ch.private === null ? null : this.db.codec.toJson(ch.private);
      const e = ch.email;
      if (e !== undefined) {
        const current = await trx.selectFrom('users').select(['email', 'email_verified']).where('id', '=', userId).executeTakeFirst();
        const unchanged = current !== undefined && e.address !== null && current.email === e.address && this.db.codec.bool(current.email_verified);
        if (!unchanged) {
          // A new address is unverified until its link is followed, so it takes no unique slot (only verified ones do).
          const heldElsewhere =
            e.address !== null &&
            (await trx
              .selectFrom('users')
              .select('id')
              .where('email', '=', e.address)
              .where('email_verified', '=', true)
              .where('id', '!=', userId)
              .executeTakeFirst()) !== undefined;
          const token = e.address !== null && !heldElsewhere ? e.token : null;
          set.email = e.address;
          set.email_verified = e.address === null ? e.verifiedWhenEmpty : false;
          set.email_verification_token = token?.token ?? null;
          set.email_verification_expires = token?.expires ?? null;
          mail = token !== null;
        }
        verified = unchanged || (e.address === null && e.verifiedWhenEmpty);
      }
      if (ch.lang !== undefined) set.lang = ch.lang;
      if (ch.privacy?.presence !== undefined) set.presence_privacy = ch.privacy.presence;
      if (ch.privacy?.readReceipts !== undefined) set.read_receipts = ch.privacy.readReceipts;
      if (ch.passwordHash !== undefined) {
        set.must_change_password = false;
        await trx.updateTable('auth').set({ secret: ch.passwordHash }).where('user_id', '=', userId).where('scheme', '=', 'basic').execute();
      }
      let q = trx.updateTable('users').set(set).where('id', '=', userId);
      if (ch.passwordHash !== undefined) q = q.set((eb) => ({ token_epoch: eb('token_epoch', '+', 1) }));
      await q.execute();
      return verified === undefined ? { mail } : { mail, emailVerified: verified };
    });
  }
}

class UsernameRace extends Error {}

/** Lower-cased `public.fn`, kept in a column so search works the same on both databases. */
export function searchName(pub: unknown): string | null {
  if (pub === null || typeof pub !== 'object' || Array.isArray(pub)) return null;
  const fn = (pub as Record<string, unknown>).fn;
  return typeof fn === 'string' ? fn.toLowerCase().slice(0, 512) : null;
}
