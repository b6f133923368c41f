// The authorization matrix: for every op (and sub-action), every relationship
// an actor can stand in to the conversation or person it targets, and the
// answer the server must give. test/integration/authorization-matrix.test.ts
// runs it on every database; docs/authorization.md is this table in prose
// form and a test keeps the two equal.
import type { OpName } from '../../src/protocol/op-names.js';
import type { TestClient } from '../helpers/client.js';
import { PASSWORD } from '../helpers/server.js';

/** Relationships to a room (`owner` … `stranger`), to a DM (`blocker`, `blocked`) or to the server (`signed-out`). */
export const ROOM_ACTORS = ['owner', 'admin', 'member', 'left', 'kicked', 'stranger'] as const;
export const DM_ACTORS = ['blocker', 'blocked', 'stranger'] as const;
/**
 * `revoked`: a user whose session was ended from another of her sessions; over WebSocket a socket that tried a
 * token login with that session's token (refused), over HTTP a request carrying it.
 */
/** `expired`: a room member whose copy of a view-once message has expired. */
export type Actor = (typeof ROOM_ACTORS)[number] | (typeof DM_ACTORS)[number] | 'expired' | 'signed-out' | 'revoked';

/** A ctrl code, a code with its text, or `silent` (an op that never answers on success, such as `typing`). */
export type Expect = number | readonly [number, string] | 'silent';

export interface Person {
  id: string;
  name: string;
  client: TestClient;
  token: string;
}

/** HTTP routes in the matrix; their requests carry the actor's token (none when signed out). */
export const HTTP_ROUTES = [
  'GET /v0/file/{id}',
  'GET /v0/file/{id}/thumb',
  'POST /v0/file/upload',
  'POST /v0/account/export',
  'GET /health',
  'GET /metrics',
  'GET /verify-email',
] as const;
export type HttpRoute = (typeof HTTP_ROUTES)[number];

export interface HttpRequest {
  path: string;
  body?: FormData;
  /** A JSON body (sent with `Content-Type: application/json`). */
  json?: unknown;
}

/** The world every row is run in; helpers make fresh targets so rows do not disturb each other. */
export interface World {
  room: string;
  dm: string;
  people: Record<Exclude<Actor, 'signed-out' | 'revoked'>, Person>;
  /** A user's session ended elsewhere: its token, and a socket whose token login with it was refused. */
  revoked: Person;
  /** Ends a fresh session of `actor` from her current one: its id. */
  otherSession(actor: Person): Promise<string>;
  /** A socket that never logged in. */
  anonymous: TestClient;
  /** A room owned by the blocked user (for inviting the blocker). */
  blockedUsersRoom: string;
  /** An image the owner uploaded and sent in the room. */
  roomFile: string;
  /** A photo the owner sent view-once in a room of owner, member and `expired`; `expired` read it and her copy expired. */
  viewOnceFile: string;
  /** A message of `actor`'s own in the DM (the blocked user's were sent before the block); its seq. */
  ownDmMessage(actor: Person): Promise<number>;
  /** A new message in `conv` from `from`; its seq. */
  post(conv: string, from: Person): Promise<number>;
  /** A new user who is a member of the room (a target for kick and role). */
  newMember(): Promise<Person>;
  /** A new user in no conversation. */
  newUser(): Promise<Person>;
  /** A user who deleted her account (marked deleted when this resolves). */
  deletedUser(): Promise<Person>;
  /** A DM of `actor` with a user who then deleted her account; its conv. */
  dmWithDeletedUser(actor: Person): Promise<string>;
}

interface RowBase {
  /** Sub-action or variant, shown in the table. */
  what: string;
  expect: Partial<Record<Actor, Expect>>;
  /** Changes the actor's own relationship (leaving): run after every other row. */
  last?: boolean;
}

export interface OpRow extends RowBase {
  op: OpName;
  /** Builds the request for one actor (may create fresh targets). */
  request(w: World, actor: Person): Promise<Record<string, unknown>>;
}

export interface HttpRow extends RowBase {
  op: HttpRoute;
  request(w: World, actor: Person): Promise<HttpRequest>;
}

export type Row = OpRow | HttpRow;

export function isHttpRow(r: Row): r is HttpRow {
  return (HTTP_ROUTES as readonly string[]).includes(r.op);
}

const NOT_MEMBER = [403, 'not a member'] as const;
const NOT_YOURS = [403, 'not your message'] as const;
const SIGNED_OUT = [401, 'authentication required'] as const;
const text = { v: 1, text: 'hello' };

/** Members of the room may; anyone outside it (never in, left, kicked) gets `403 not a member`. */
const roomMembers = (ok: Expect) => ({ owner: ok, admin: ok, member: ok, left: NOT_MEMBER, kicked: NOT_MEMBER, stranger: NOT_MEMBER });
/** Owner and admins may; members get `denied`; outsiders `403 not a member`. */
const roomManagers = (ok: Expect, denied: Expect) => ({ owner: ok, admin: ok, member: denied, left: NOT_MEMBER, kicked: NOT_MEMBER, stranger: NOT_MEMBER });
/** Only the author (here the owner, who posted) may; other members get `403 not your message`. */
const authorOnly = (ok: Expect) => ({ owner: ok, admin: NOT_YOURS, member: NOT_YOURS, left: NOT_MEMBER, kicked: NOT_MEMBER, stranger: NOT_MEMBER });

export const MATRIX: Row[] = [
  // --- before login ---------------------------------------------------------------------------------------------
  { op: 'hi', what: 'handshake', request: async () => ({ ver: '0.1.0' }), expect: { 'signed-out': 200, member: 200 } },
  { op: 'login', what: 'wrong password', request: async (w) => ({ scheme: 'basic', secret: basicOf(w.people.member.id) }), expect: { 'signed-out': 401 } },
  { op: 'acc', what: 'update own account', request: async () => ({ user: 'me', lang: 'en' }), expect: { 'signed-out': SIGNED_OUT, member: 200 } },
  {
    op: 'acc',
    what: 'delete own account, wrong password',
    request: async () => ({ user: 'me', delete: { password: 'not-the-password' } }),
    expect: { 'signed-out': SIGNED_OUT, member: [403, 'incorrect current password'] },
  },

  // --- a deleted user as the target -----------------------------------------------------------------------------
  {
    op: 'dm',
    what: 'open a DM with a deleted user',
    request: async (w) => ({ user: (await w.deletedUser()).id }),
    expect: { member: [404, 'user not found'] },
  },
  {
    op: 'send',
    what: 'message in a DM with a deleted user',
    request: async (w, a) => ({ conv: await w.dmWithDeletedUser(a), content: text }),
    expect: { member: [403, 'account deleted'] },
  },
  {
    op: 'get',
    what: 'a deleted user',
    request: async (w) => ({ what: 'user', user: (await w.deletedUser()).id }),
    expect: { member: [404, 'user not found'] },
  },

  // --- a room ---------------------------------------------------------------------------------------------------
  { op: 'send', what: 'message to the room', request: async (w) => ({ conv: w.room, content: text }), expect: roomMembers(202) },
  { op: 'get', what: 'messages', request: async (w) => ({ what: 'messages', conv: w.room }), expect: roomMembers(200) },
  { op: 'get', what: 'conversation', request: async (w) => ({ what: 'conversation', conv: w.room }), expect: roomMembers(200) },
  { op: 'get', what: 'members', request: async (w) => ({ what: 'members', conv: w.room }), expect: roomMembers(200) },
  { op: 'get', what: 'receipts', request: async (w) => ({ what: 'receipts', conv: w.room }), expect: roomMembers(200) },
  {
    op: 'edit',
    what: "the owner's message",
    request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner), content: text }),
    expect: authorOnly(200),
  },
  { op: 'unsend', what: "the owner's message", request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner) }), expect: authorOnly(200) },
  {
    op: 'delete',
    what: "the owner's message, for everyone",
    request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner), forEveryone: true }),
    expect: authorOnly(200),
  },
  { op: 'delete', what: 'a message, for me', request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner) }), expect: roomMembers(200) },
  {
    op: 'react',
    what: "the owner's message",
    request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner), emoji: '👍' }),
    expect: roomMembers(200),
  },
  {
    op: 'typing',
    what: 'in the room',
    request: async (w) => ({ conv: w.room }),
    expect: { ...roomMembers('silent'), left: 'silent', kicked: 'silent', stranger: 'silent' },
  },
  { op: 'read', what: 'a message', request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner) }), expect: roomMembers(200) },
  { op: 'recv', what: 'a message', request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner) }), expect: roomMembers(200) },
  {
    op: 'clear',
    what: 'the room history, for me',
    request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner) }),
    expect: roomMembers(200),
  },
  {
    op: 'pin',
    what: 'a message',
    request: async (w) => ({ conv: w.room, seq: await w.post(w.room, w.people.owner) }),
    expect: roomManagers(200, [403, 'only owner or admin can pin']),
  },
  { op: 'dm', what: 'mute the room', request: async (w) => ({ conv: w.room, muted: true }), expect: roomMembers(200) },
  {
    op: 'room',
    what: 'update',
    request: async (w) => ({ id: w.room, action: 'update', desc: { public: { fn: 'Room' } } }),
    expect: roomManagers(200, [403, 'only owner or admin can update']),
  },
  {
    op: 'room',
    what: 'invite a new user',
    request: async (w) => ({ id: w.room, action: 'invite', user: (await w.newUser()).id }),
    expect: roomManagers(200, [403, 'only owner or admin can invite']),
  },
  {
    op: 'room',
    what: 'kick a member',
    request: async (w) => ({ id: w.room, action: 'kick', user: (await w.newMember()).id }),
    expect: roomManagers(200, [403, 'only owner or admin can kick']),
  },
  {
    op: 'room',
    what: 'kick the owner',
    request: async (w) => ({ id: w.room, action: 'kick', user: w.people.owner.id }),
    expect: { ...roomManagers([403, 'cannot kick owner'], [403, 'only owner or admin can kick']), owner: [403, 'cannot kick owner'] },
  },
  {
    op: 'room',
    what: 'make a member admin',
    request: async (w) => ({ id: w.room, action: 'role', user: (await w.newMember()).id, role: 'admin' }),
    expect: { ...roomManagers(200, [403, 'only owner can change roles']), admin: [403, 'only owner can change roles'] },
  },
  {
    op: 'room',
    what: 'create',
    request: async () => ({ id: 'new', action: 'create', desc: { public: { fn: 'Mine' } } }),
    expect: { member: 201, 'signed-out': SIGNED_OUT },
  },
  {
    op: 'room',
    what: 'leave',
    request: async (w) => ({ id: w.room, action: 'leave' }),
    expect: { owner: [403, 'owner cannot leave room'], admin: 200, member: 200, left: NOT_MEMBER, kicked: NOT_MEMBER, stranger: NOT_MEMBER },
    last: true,
  },

  // --- a DM where `blocker` blocked `blocked` -------------------------------------------------------------------
  {
    op: 'send',
    what: 'message in the DM',
    request: async (w) => ({ conv: w.dm, content: text }),
    expect: { blocker: 202, blocked: [403, 'blocked'], stranger: NOT_MEMBER },
  },
  { op: 'get', what: 'DM history', request: async (w) => ({ what: 'messages', conv: w.dm }), expect: { blocker: 200, blocked: 200, stranger: NOT_MEMBER } },
  { op: 'dm', what: 'open the DM with the other', request: async (w, a) => ({ user: other(w, a).id }), expect: { blocker: 200, blocked: 200 } },
  { op: 'get', what: 'the other user', request: async (w, a) => ({ what: 'user', user: other(w, a).id }), expect: { blocker: 200, blocked: 200 } },
  {
    op: 'dm',
    what: 'mute the DM (own flag)',
    request: async (w) => ({ conv: w.dm, muted: true }),
    expect: { blocker: 200, blocked: 200, stranger: NOT_MEMBER },
  },
  { op: 'dm', what: 'disappearing TTL of the DM', request: async (w) => ({ conv: w.dm, disappearingTTL: 3600 }), expect: dmShared(200) },
  { op: 'pin', what: 'a message in the DM', request: async (w) => ({ conv: w.dm, seq: await w.post(w.dm, w.people.blocker) }), expect: dmShared(200) },
  { op: 'edit', what: 'own message in the DM', request: async (w, a) => ({ conv: w.dm, seq: await w.ownDmMessage(a), content: text }), expect: dmShared(200) },
  {
    op: 'react',
    what: 'a message in the DM',
    request: async (w) => ({ conv: w.dm, seq: await w.post(w.dm, w.people.blocker), emoji: '👍' }),
    expect: dmShared(200),
  },
  { op: 'unsend', what: 'own message in the DM', request: async (w, a) => ({ conv: w.dm, seq: await w.ownDmMessage(a) }), expect: dmShared(200) },
  {
    op: 'room',
    what: 'invite the blocker to own room',
    request: async (w) => ({ id: w.blockedUsersRoom, action: 'invite', user: w.people.blocker.id }),
    expect: { blocked: [403, 'blocked'] },
  },

  // --- the person and the account -------------------------------------------------------------------------------
  { op: 'search', what: 'users by name', request: async () => ({ query: 'user' }), expect: { member: 200, 'signed-out': SIGNED_OUT } },
  { op: 'contact', what: 'add a user', request: async (w) => ({ add: (await w.newUser()).id }), expect: { member: 200, 'signed-out': SIGNED_OUT } },
  { op: 'invite', what: 'list own invites', request: async () => ({ list: true }), expect: { member: 200, 'signed-out': SIGNED_OUT } },
  { op: 'get', what: 'own contacts', request: async () => ({ what: 'contacts' }), expect: { member: 200, 'signed-out': SIGNED_OUT } },
  { op: 'get', what: 'own conversations', request: async () => ({ what: 'conversations' }), expect: { member: 200, 'signed-out': SIGNED_OUT } },
  { op: 'get', what: 'own mentions', request: async () => ({ what: 'mentions' }), expect: { member: 200, 'signed-out': SIGNED_OUT } },
  {
    op: 'get',
    what: 'own sessions',
    request: async () => ({ what: 'sessions' }),
    expect: { member: 200, 'signed-out': SIGNED_OUT, revoked: SIGNED_OUT },
  },
  {
    op: 'get',
    what: 'own sync log',
    request: async () => ({ what: 'sync', since: '0' }),
    expect: { member: 200, 'signed-out': SIGNED_OUT, revoked: SIGNED_OUT },
  },
  {
    op: 'logout',
    what: 'another own session',
    request: async (w, a) => ({ session: await w.otherSession(a) }),
    expect: { member: 200, 'signed-out': SIGNED_OUT, revoked: SIGNED_OUT },
  },
  {
    op: 'logout',
    what: "another user's session",
    request: async (w) => ({ session: await w.otherSession(w.people.stranger) }),
    expect: { member: [404, 'session not found'], 'signed-out': SIGNED_OUT },
  },
  {
    op: 'logout',
    what: 'all other own sessions',
    request: async () => ({ others: true }),
    expect: { member: 200, 'signed-out': SIGNED_OUT, revoked: SIGNED_OUT },
  },

  // --- HTTP routes (a token in the Authorization header; none when signed out) ----------------------------------
  {
    op: 'GET /v0/file/{id}',
    what: 'a file sent in the room',
    request: async (w) => ({ path: `/v0/file/${w.roomFile}` }),
    expect: { ...roomFileAccess(200), 'signed-out': 401, revoked: 401 },
  },
  {
    op: 'GET /v0/file/{id}/thumb',
    what: 'its thumbnail',
    request: async (w) => ({ path: `/v0/file/${w.roomFile}/thumb` }),
    expect: { ...roomFileAccess(200), 'signed-out': 401 },
  },
  {
    op: 'GET /v0/file/{id}',
    what: 'a view-once photo, after it expired for its reader',
    request: async (w) => ({ path: `/v0/file/${w.viewOnceFile}` }),
    expect: { owner: 200, member: 200, expired: 404, stranger: 404 },
  },
  {
    op: 'GET /v0/file/{id}',
    what: 'an unknown file id',
    request: async () => ({ path: '/v0/file/00000000-0000-4000-8000-000000000000' }),
    expect: { member: 404, 'signed-out': 401 },
  },
  {
    op: 'POST /v0/file/upload',
    what: 'a small file',
    request: async () => ({ path: '/v0/file/upload', body: smallFile() }),
    expect: { member: 201, 'signed-out': 401, revoked: 401 },
  },
  {
    op: 'POST /v0/account/export',
    what: 'own account, with the password',
    request: async () => ({ path: '/v0/account/export', json: { password: PASSWORD } }),
    expect: { member: 200, blocker: 200, 'signed-out': 401 },
  },
  {
    op: 'POST /v0/account/export',
    what: 'own account, wrong password',
    request: async () => ({ path: '/v0/account/export', json: { password: 'not the password' } }),
    expect: { member: 403, 'signed-out': 401 },
  },
  { op: 'GET /health', what: 'node status', request: async () => ({ path: '/health' }), expect: { 'signed-out': 200 } },
  { op: 'GET /metrics', what: 'Prometheus metrics', request: async () => ({ path: '/metrics' }), expect: { 'signed-out': 200 } },
  { op: 'GET /verify-email', what: 'an unknown token', request: async () => ({ path: '/verify-email?token=unknown' }), expect: { 'signed-out': 400 } },
];

/** Files follow the conversation: its members may download, anyone outside it gets the same 404 as for an unknown id. */
function roomFileAccess(ok: Expect) {
  return { owner: ok, admin: ok, member: ok, left: 404, kicked: 404, stranger: 404 };
}

function smallFile(): FormData {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'hello.txt');
  return form;
}

/** A DM setting or act that reaches the other person: the blocker may, the blocked gets `403 blocked`. */
function dmShared(ok: Expect) {
  return { blocker: ok, blocked: [403, 'blocked'] as const, stranger: NOT_MEMBER };
}

/** The other participant of the DM. */
function other(w: World, a: Person): Person {
  return a.id === w.people.blocker.id ? w.people.blocked : w.people.blocker;
}

function basicOf(id: string): string {
  return Buffer.from(`no-such-name-${id.slice(0, 8)}:wrong`).toString('base64');
}

/** The table of docs/authorization.md, rendered from the matrix. */
export function renderTable(): string {
  const actors: Actor[] = [...ROOM_ACTORS, 'expired', 'blocker', 'blocked', 'signed-out', 'revoked'];
  const cell = (e: Expect | undefined) => (e === undefined ? '' : e === 'silent' ? 'no reply' : typeof e === 'number' ? String(e) : `${e[0]} ${e[1]}`);
  const lines = [`| op | what | ${actors.join(' | ')} |`, `|---|---|${actors.map(() => '---|').join('')}`];
  for (const r of MATRIX) lines.push(`| \`${r.op}\` | ${r.what} | ${actors.map((a) => cell(r.expect[a])).join(' | ')} |`);
  return lines.join('\n');
}
