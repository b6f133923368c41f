import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OP_NAMES } from '../../src/protocol/op-names.js';
import { backends, PASSWORD, startServer, type TestServer } from '../helpers/server.js';
import type { TestClient } from '../helpers/client.js';
import { HTTP_ROUTES, isHttpRow, MATRIX, renderTable, type Actor, type Expect, type Person, type Row, type World } from './authorization-matrix.js';
import { images, mediaMessage, upload, waitProcessed } from './files-support.js';

async function buildWorld(s: TestServer): Promise<World> {
  const make = async (): Promise<Person> => {
    const u = await s.user();
    return { id: u.id, name: u.name, client: u.client, token: u.token };
  };
  const [owner, admin, member, left, kicked, stranger, blocker, blocked] = await Promise.all(Array.from({ length: 8 }, make));
  const must = async (c: TestClient, op: string, body: unknown, code = 200) => {
    const r = await c.request(op, body);
    assert.equal(r.code, code, `${op} ${JSON.stringify(body)} → ${r.code} ${r.text}`);
    return r;
  };
  const room = (await must(owner!.client, 'room', { id: 'new', action: 'create', desc: { public: { fn: 'Room' } } }, 201)).params.conv as string;
  for (const u of [admin!, member!, left!, kicked!]) await must(owner!.client, 'room', { id: room, action: 'invite', user: u.id });
  await must(owner!.client, 'room', { id: room, action: 'role', user: admin!.id, role: 'admin' });
  await must(left!.client, 'room', { id: room, action: 'leave' });
  await must(owner!.client, 'room', { id: room, action: 'kick', user: kicked!.id });
  const dmReply = await blocker!.client.request('dm', { user: blocked!.id });
  const dm = dmReply.params.conv as string;
  const post = async (conv: string, from: Person) => (await must(from.client, 'send', { conv, content: { v: 1, text: 'post' } }, 202)).params.seq as number;
  // The blocked user's own messages, written before the block.
  const blockedOwn = [await post(dm, blocked!), await post(dm, blocked!), await post(dm, blocked!)];
  await must(blocker!.client, 'dm', { conv: dm, blocked: true });
  const png = await upload(s, owner!.token, await images.png(), { type: 'image/png', name: 'photo.png' });
  assert.equal(png.status, 201);
  const roomFile = png.json!.id;
  await waitProcessed(s, owner!.token, roomFile);
  await must(owner!.client, 'send', { conv: room, content: mediaMessage(roomFile, 'image/png', png.json!.size) }, 202);
  // `expired` read a view-once photo the owner sent in a room of their own (with `member`, who never reads
  // there: reads in the main room would start her own expiry of it), and her copy has expired.
  const expired = await make();
  await must(owner!.client, 'room', { id: room, action: 'invite', user: expired.id });
  const onceRoom = (await must(owner!.client, 'room', { id: 'new', action: 'create', desc: { public: { fn: 'Once' } } }, 201)).params.conv as string;
  for (const p of [member!, expired]) await must(owner!.client, 'room', { id: onceRoom, action: 'invite', user: p.id });
  const photo = await upload(s, owner!.token, await images.png(), { type: 'image/png', name: 'once.png' });
  assert.equal(photo.status, 201);
  const viewOnceFile = photo.json!.id;
  const once = await must(owner!.client, 'send', { conv: onceRoom, content: mediaMessage(viewOnceFile, 'image/png', photo.json!.size), viewOnce: true }, 202);
  await must(expired.client, 'read', { conv: onceRoom, seq: once.params.seq });
  await s.app.deps.stores.db.kysely
    .updateTable('message_reads')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('user_id', '=', expired.id)
    .execute();
  // A session of `victim` ended from another of hers: its socket closes, and a token login with its token is refused.
  const victim = await make();
  const stolen = await s.connect();
  const stolenLogin = await stolen.request('login', { scheme: 'basic', secret: Buffer.from(`${victim.name}:${PASSWORD}`).toString('base64') });
  assert.equal(stolenLogin.code, 200);
  await must(victim.client, 'logout', { session: stolenLogin.params.session });
  assert.equal((await stolen.closed).code, 4010);
  const revokedSocket = await s.connect();
  assert.equal((await revokedSocket.request('login', { scheme: 'token', secret: stolenLogin.params.token })).code, 401);
  const otherSession = async (actor: Person) => {
    const c = await s.connect();
    const r = await c.request('login', { scheme: 'basic', secret: Buffer.from(`${actor.name}:${PASSWORD}`).toString('base64') });
    assert.equal(r.code, 200, JSON.stringify(r));
    return r.params.session as string;
  };
  const blockedUsersRoom = (await must(blocked!.client, 'room', { id: 'new', action: 'create', desc: { public: { fn: 'His' } } }, 201)).params.conv as string;
  return {
    room,
    dm,
    blockedUsersRoom,
    roomFile,
    viewOnceFile,
    people: { owner: owner!, admin: admin!, member: member!, left: left!, kicked: kicked!, stranger: stranger!, expired, blocker: blocker!, blocked: blocked! },
    anonymous: await s.connect(),
    revoked: { id: victim.id, name: victim.name, client: revokedSocket, token: stolenLogin.params.token },
    otherSession,
    post,
    async ownDmMessage(actor) {
      if (actor.id === blocker!.id) return post(dm, actor);
      // Someone outside the DM asks about a message that exists there.
      if (actor.id !== blocked!.id) return 1;
      const seq = blockedOwn.shift();
      assert.ok(seq !== undefined, 'no message of the blocked user left');
      return seq;
    },
    async newMember() {
      const p = await make();
      await must(owner!.client, 'room', { id: room, action: 'invite', user: p.id });
      return p;
    },
    newUser: make,
    async deletedUser() {
      const p = await make();
      await must(p.client, 'acc', { user: 'me', delete: { password: PASSWORD } });
      return p;
    },
    async dmWithDeletedUser(actor) {
      const p = await make();
      const conv = (await actor.client.request('dm', { user: p.id })).params.conv as string;
      await must(p.client, 'acc', { user: 'me', delete: { password: PASSWORD } });
      return conv;
    },
  };
}

/** Sends one request as `actor` and returns what came back: a code with its text, or `silent`. */
async function answer(s: TestServer, w: World, actor: Actor, row: Row): Promise<Expect> {
  const person = actor === 'signed-out' ? w.people.stranger : actor === 'revoked' ? w.revoked : w.people[actor];
  if (isHttpRow(row)) {
    const req = await row.request(w, person);
    const headers: Record<string, string> = actor === 'signed-out' ? {} : { authorization: `Bearer ${person.token}` };
    if (req.json !== undefined) headers['content-type'] = 'application/json';
    const body = req.json !== undefined ? JSON.stringify(req.json) : req.body;
    const res = await fetch(`${s.httpUrl}${req.path}`, { method: row.op.split(' ')[0], headers, ...(body ? { body } : {}) });
    await res.arrayBuffer();
    return [res.status, ''];
  }
  const op = row.op;
  const body = await row.request(w, person);
  const client = actor === 'signed-out' ? w.anonymous : person.client;
  if (op !== 'typing') {
    const r = await client.request(op, body);
    return [r.code, r.text];
  }
  // A session's frames are answered in order: no reply to `typing` before the next request's reply means none at all.
  const marker = `after-typing-${Math.random().toString(36).slice(2)}`;
  client.send({ id: marker, typing: body });
  const next = await client.request('hi', { ver: '0.1.0' });
  const early = client.frames.find((f) => f.ctrl?.id === marker);
  assert.ok(next.code === 200);
  return early ? [early.ctrl.code, early.ctrl.text] : 'silent';
}

function matches(expected: Expect, got: Expect): boolean {
  if (expected === 'silent' || got === 'silent') return expected === got;
  const [code, txt] = got as readonly [number, string];
  if (typeof expected === 'number') return expected === code;
  return expected[0] === code && expected[1] === txt;
}

test('every op and every HTTP route has rows in the authorization matrix', () => {
  const covered = new Set<string>(MATRIX.map((r) => r.op));
  assert.deepEqual(
    [...OP_NAMES, ...HTTP_ROUTES].filter((op) => !covered.has(op)),
    [],
    'ops and routes without rows',
  );
});

test('docs/authorization.md shows the matrix as it is tested', () => {
  const doc = readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '../../docs/authorization.md'), 'utf8');
  assert.ok(
    doc.includes(renderTable()),
    'the table in docs/authorization.md differs from test/integration/authorization-matrix.ts (print renderTable() and paste it)',
  );
});

for (const backend of backends()) {
  test(`[${backend}] authorization matrix: every op, every relationship, the documented answer`, async () => {
    const s = await startServer(backend, { frameRate: 1000 });
    try {
      const w = await buildWorld(s);
      const wrong: string[] = [];
      const rows = [...MATRIX.filter((r) => !r.last), ...MATRIX.filter((r) => r.last)];
      for (const row of rows) {
        for (const [actor, expected] of Object.entries(row.expect) as [Actor, Expect][]) {
          const got = await answer(s, w, actor, row);
          if (!matches(expected, got)) wrong.push(`${row.op} (${row.what}) as ${actor}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
        }
      }
      assert.deepEqual(wrong, []);
    } finally {
      await s.close();
    }
  });
}
