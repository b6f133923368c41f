import type { TestServer } from './server.js';
import type { TestClient } from './client.js';

export interface Member {
  client: TestClient;
  id: string;
}

/** The DM between a and b, through the real `dm` op. */
export async function dmBetween(_s: TestServer, a: Member, b: Member): Promise<string> {
  const r = await a.client.request('dm', { user: b.id });
  if (r.code !== 200 && r.code !== 201) throw new Error(`dm failed: ${JSON.stringify(r)}`);
  return r.params.conv;
}

/** A room owned by `owner` with `others` as members, through `room create` and `invite`. */
export async function roomWith(_s: TestServer, owner: Member, others: Member[]): Promise<string> {
  const r = await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'room' } } });
  if (r.code !== 201) throw new Error(`room create failed: ${JSON.stringify(r)}`);
  const conv: string = r.params.conv;
  for (const o of others) {
    const inv = await owner.client.request('room', { id: conv, action: 'invite', user: o.id });
    if (inv.code !== 200) throw new Error(`room invite failed: ${JSON.stringify(inv)}`);
  }
  return conv;
}

/** Marks a membership removed as `leave`/`kick` do (also for DMs, which no request can leave). */
export async function removeMember(s: TestServer, conv: string, userId: string): Promise<void> {
  await s.app.deps.stores.db.kysely
    .updateTable('members')
    .set({ deleted_at: new Date() })
    .where('conversation_id', '=', conv)
    .where('user_id', '=', userId)
    .execute();
}

/** `blocker` blocks the other DM participant, through `dm {conv, blocked}`. */
export async function setBlocked(blocker: Member, conv: string, blocked: boolean): Promise<void> {
  const r = await blocker.client.request('dm', { conv, blocked });
  if (r.code !== 200) throw new Error(`dm blocked failed: ${JSON.stringify(r)}`);
}

/** Sets the conversation's disappearing TTL in seconds (0 = off), through `dm {conv, disappearingTTL}`. */
export async function setDisappearingTtl(member: Member, conv: string, ttl: number): Promise<void> {
  const r = await member.client.request('dm', { conv, disappearingTTL: ttl });
  if (r.code !== 200) throw new Error(`dm disappearingTTL failed: ${JSON.stringify(r)}`);
}

/** Moves a message's creation time into the past (edit and unsend windows). */
export async function ageMessage(s: TestServer, conv: string, seq: number, ms: number): Promise<void> {
  const k = s.app.deps.stores.db.kysely;
  const row = await k.selectFrom('messages').select('created_at').where('conversation_id', '=', conv).where('seq', '=', seq).executeTakeFirstOrThrow();
  const at = new Date(new Date(row.created_at).getTime() - ms);
  await k.updateTable('messages').set({ created_at: at }).where('conversation_id', '=', conv).where('seq', '=', seq).execute();
}

/** Every message after `after`, oldest first, through `get messages {after}` until a page comes back empty. */
export async function historyAfter(c: TestClient, conv: string, after = 0): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  for (let from = after; ; ) {
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
