import type { Db } from './database.js';
import { isEmailTakenError } from './invite-store.js';

export type VerifyOutcome = 'verified' | 'invalid';

/** E-mail verification tokens on `users` (PROTOCOL §1.5, §5.14). */
export class EmailVerificationStore {
  constructor(private readonly db: Db) {}

  /**
   * Marks the owner of `token` verified and clears the token, when the token
   * exists, is unexpired and its user is not deleted. One conditional
   * update, so a token works once. An address another account holds verified
   * is not verified a second time: the token is refused like an unknown one.
   */
  async verify(token: string, now = new Date()): Promise<VerifyOutcome> {
    try {
      const r = await this.db.kysely
        .updateTable('users')
        .set({ email_verified: true, email_verification_token: null, email_verification_expires: null, updated_at: now })
        .where('email_verification_token', '=', token)
        .where('email_verification_expires', '>', now)
        .where('state', '!=', 'deleted')
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('users as holder')
                .select('holder.id')
                .whereRef('holder.email', '=', 'users.email')
                .whereRef('holder.id', '!=', 'users.id')
                .where('holder.email_verified', '=', true),
            ),
          ),
        )
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0 ? 'verified' : 'invalid';
    } catch (err) {
      // Another account verified the same address at this very moment: the unique slot is theirs.
      if (isEmailTakenError(err)) return 'invalid';
      throw err;
    }
  }
}
