import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestServer } from './server.js';
import type { Frame } from './client.js';

export type TestUser = Awaited<ReturnType<TestServer['user']>>;

/** `[code, text]` of a ctrl, for compact assertions on errors. */
export function pick(ctrl: Frame): [number, string] {
  return [ctrl.code, ctrl.text];
}

/** Writes a message row directly and advances the conversation's seq (history ops are tested on their own). */
export async function insertMessage(s: TestServer, conv: string, from: string, seq: number, at = new Date()): Promise<string> {
  const k = s.app.deps.stores.db.kysely;
  const id = randomUUID();
  await k
    .insertInto('messages')
    .values({ id, conversation_id: conv, seq, from_user_id: from, created_at: at, updated_at: at, content: null, head: null })
    .execute();
  await k.updateTable('conversations').set({ last_seq: seq, last_msg_at: at }).where('id', '=', conv).execute();
  return id;
}

export interface RoomWithRoles {
  owner: TestUser;
  admin: TestUser;
  admin2: TestUser;
  member: TestUser;
  conv: string;
}

/** A room with an owner, two admins (promoted by the owner) and a member; every client has seen the last promotion. */
export async function roomWithRoles(s: TestServer): Promise<RoomWithRoles> {
  const owner = await s.user();
  const admin = await s.user();
  const admin2 = await s.user();
  const member = await s.user();
  const created = await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'Room' } } });
  const conv = created.params.conv as string;
  for (const u of [admin, admin2, member]) {
    assert.equal((await owner.client.request('room', { id: conv, action: 'invite', user: u.id })).code, 200);
  }
  for (const u of [admin, admin2]) {
    assert.equal((await owner.client.request('room', { id: conv, action: 'role', user: u.id, role: 'admin' })).code, 200);
  }
  await Promise.all([owner, admin, admin2, member].map((u) => u.client.waitFor((x) => x.info?.what === 'role_changed' && x.info.user === admin2.id)));
  return { owner, admin, admin2, member, conv };
}
