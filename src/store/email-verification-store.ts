import type { Db } from './database.js';

export type VerifyOutcome = 'verified' | 'invalid';

/** E-mail verification tokens on `users` (PROTOCOL §1.5, §5.14). */
export class EmailVerificationStore {
  constructor(private readonly db: Db) {}

  /**
   * Marks the owner of `token` verified and clears the token, when the token
   * exists, is unexpired and its user is not deleted. One conditional
   * update, so a token works once.
   */
  async verify(token: string, now = new Date()): Promise<VerifyOutcome> {
    const r = await this.db.kysely
      .updateTable('users')
      .set({ email_verified: true, email_verification_token: null, email_verification_expires: null, updated_at: now })
      .where('email_verification_token', '=', token)
      .where('email_verification_expires', '>', now)
      .where('state', '!=', 'deleted')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? 'verified' : 'invalid';
  }
}
