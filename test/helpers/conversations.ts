import { randomUUID } from 'node:crypto';
import type { TestServer } from './server.js';
import type { TestClient } from './client.js';

export interface Member {
  client: TestClient;
  id: string;
}

/** The DM between a and b, through the real `dm` op (written directly while that op is not available). */
export async function dmBetween(s: TestServer, a: Member, b: Member): Promise<string> {
  const r = await a.client.request('dm', { user: b.id });
  if (r.code === 200 || r.code === 201) return r.params.conv;
  if (!(r.code === 500 && r.text === 'internal error')) throw new Error(`dm failed: ${JSON.stringify(r)}`);
  const conv = randomUUID();
  const [user1_id, user2_id] = [a.id, b.id].sort() as [string, string];
  const k = s.app.services.stores.db.kysely;
  await k.insertInto('conversations').values({ id: conv, type: 'dm' }).execute();
  await k.insertInto('dm_participants').values({ conversation_id: conv, user1_id, user2_id }).execute();
  await k.insertInto('members').values([{ conversation_id: conv, user_id: a.id }, { conversation_id: conv, user_id: b.id }]).execute();
  return conv;
}

/** A room owned by `owner` with `others` as members, through `room create`/`invite` when available. */
export async function roomWith(s: TestServer, owner: Member, others: Member[]): Promise<string> {
  const r = await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'room' } } });
  if (r.code === 201) {
    const conv: string = r.params.conv;
    for (const o of others) {
      const inv = await owner.client.request('room', { id: conv, action: 'invite', user: o.id });
      if (inv.code !== 200) throw new Error(`room invite failed: ${JSON.stringify(inv)}`);
    }
    return conv;
  }
  if (!(r.code === 500 && r.text === 'internal error')) throw new Error(`room create failed: ${JSON.stringify(r)}`);
  const conv = randomUUID();
  const k = s.app.services.stores.db.kysely;
  await k.insertInto('conversations').values({ id: conv, type: 'room', owner_id: owner.id }).execute();
  await k.insertInto('members').values([
    { conversation_id: conv, user_id: owner.id, role: 'owner' },
    ...others.map((o) => ({ conversation_id: conv, user_id: o.id })),
  ]).execute();
  return conv;
}

/** Marks a membership removed (as `leave`/`kick` do). */
export async function removeMember(s: TestServer, conv: string, userId: string): Promise<void> {
  await s.app.services.stores.db.kysely.updateTable('members').set({ deleted_at: new Date() })
    .where('conversation_id', '=', conv).where('user_id', '=', userId).execute();
}

/** Sets `blocker`'s blocked flag on a DM (as `dm {conv, blocked}` does). */
export async function setBlocked(s: TestServer, conv: string, blocker: string, blocked: boolean): Promise<void> {
  await s.app.services.stores.db.kysely.updateTable('members').set({ blocked })
    .where('conversation_id', '=', conv).where('user_id', '=', blocker).execute();
}

/** Sets the conversation's disappearing TTL in seconds (null = off). */
export async function setDisappearingTtl(s: TestServer, conv: string, ttl: number | null): Promise<void> {
  await s.app.services.stores.db.kysely.updateTable('conversations').set({ disappearing_ttl: ttl }).where('id', '=', conv).execute();
}

/** Moves a message's creation time into the past (edit and unsend windows). */
export async function ageMessage(s: TestServer, conv: string, seq: number, ms: number): Promise<void> {
  const k = s.app.services.stores.db.kysely;
  const row = await k.selectFrom('messages').select('created_at').where('conversation_id', '=', conv).where('seq', '=', seq).executeTakeFirstOrThrow();
  const at = new Date(new Date(row.created_at).getTime() - ms);
  await k.updateTable('messages').set({ created_at: at }).where('conversation_id', '=', conv).where('seq', '=', seq).execute();
}

/** Every message after `after`, oldest first, through `get messages {after}` until a page comes back empty. */
export async function historyAfter(c: TestClient, conv: string, after = 0): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  for (let from = after; ;) {
    const r = await c.request('get', { what: 'messages', conv, after: from, limit: 100 });
    if (r.code !== 200) throw new Error(`get messages failed: ${JSON.stringify(r)}`);
    const page: Record<string, any>[] = r.params.messages;
    out.push(...page);
    if (page.length === 0) return out;
    from = page[page.length - 1]!.seq;
  }
}

export function decodeContent(item: { content?: string }): unknown {
  return item.content === undefined ? undefined : JSON.parse(Buffer.from(item.content, 'base64').toString('utf8'));
}
