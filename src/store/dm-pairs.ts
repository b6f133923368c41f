import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * The one DM between two users, created when missing (conversation of type
 * 'dm', its dm_participants row, two member rows), inside the caller's
 * transaction. The unique (user1_id, user2_id) key decides a race: the loser
 * drops its conversation row and answers the winner's. A participant removed
 * by the reference server's DM "leave" becomes active again.
 */
export async function findOrCreateDm(trx: Transaction<Database>, a: string, b: string, now: Date): Promise<{ convId: string; created: boolean }> {
  const [user1, user2] = a < b ? [a, b] : [b, a];
  const existing = await findDm(trx, user1, user2);
  if (existing) {
    await trx
      .updateTable('members')
      .set({ deleted_at: null, updated_at: now })
      .where('conversation_id', '=', existing)
      .where('user_id', 'in', [user1, user2])
      .where('deleted_at', 'is not', null)
      .execute();
    return { convId: existing, created: false };
  }
  const id = randomUUID();
  await trx.insertInto('conversations').values({ id, type: 'dm', created_at: now, updated_at: now }).execute();
  const pair = await trx
    .insertInto('dm_participants')
    .values({ conversation_id: id, user1_id: user1, user2_id: user2 })
    .onConflict((oc) => oc.columns(['user1_id', 'user2_id']).doNothing())
    .executeTakeFirst();
  if (Number(pair.numInsertedOrUpdatedRows ?? 0) === 0) {
    await trx.deleteFrom('conversations').where('id', '=', id).execute();
    const winner = await findDm(trx, user1, user2);
    if (!winner) throw new Error('dm vanished after a creation race');
    return { convId: winner, created: false };
  }
  await trx
    .insertInto('members')
    .values([
      { conversation_id: id, user_id: user1, role: 'member', created_at: now, updated_at: now },
      { conversation_id: id, user_id: user2, role: 'member', created_at: now, updated_at: now },
    ])
    .execute();
  return { convId: id, created: true };
}

async function findDm(trx: Transaction<Database>, user1: string, user2: string): Promise<string | null> {
  const row = await trx.selectFrom('dm_participants').select('conversation_id').where('user1_id', '=', user1).where('user2_id', '=', user2).executeTakeFirst();
  return row?.conversation_id ?? null;
}
