import { checkContent } from '../content/irido.js';
import { formatTs } from '../protocol/time.js';
import type { Deps } from '../runtime/deps.js';
import type { UserRecord } from '../store/account-store.js';
import type { ConversationListing } from '../store/conversation-store.js';
import type { MessageRecord } from '../store/message-record.js';
import { liveSessions } from './sessions.js';

/** Rows read from a store per query: no section is ever held whole in memory. */
export const EXPORT_PAGE = 200;
/** Users looked up per query (members, senders). */
const USER_BATCH = 500;

export const EXPORT_FORMAT = 'mvchat-export';
export const EXPORT_VERSION = 1;

export interface ExportSubject {
  user: UserRecord;
  /** Her login name. */
  login: string;
}

export type ExportDeps = Pick<Deps, 'stores' | 'cipher' | 'config'>;

/**
 * Everything of one account, as JSON text in pieces, page by page from the
 * stores. The object's last field is `"complete": true`: a reader that does
 * not find it (or cannot parse the text) holds a cut-off export. A store
 * failure is thrown out of the generator; the caller must then abort the
 * response rather than end it, so the text stays unparseable.
 *
 * Messages are those of her history as `get messages` shows them now: after
 * her clear position, not deleted for her, not expired for her (view-once or
 * disappearing, by flag or by time). Deleted-for-everyone and unsent ones
 * appear as in history, as `deleted: true` without content.
 */
export async function* accountExport(deps: ExportDeps, subject: ExportSubject, now: Date = new Date()): AsyncGenerator<string> {
  const { user } = subject;
  yield `{"format":${json(EXPORT_FORMAT)},"version":${EXPORT_VERSION},"exportedAt":${json(formatTs(now))},"account":${json(accountSection(subject))}`;
  yield* arraySection('sessions', exportSessions(deps, user.id));
  yield* arraySection('contacts', exportContacts(deps, user.id));
  yield* conversationsSection(deps, user.id);
  yield* arraySection('files', exportFiles(deps, user.id));
  yield ',"complete":true}\n';
}

function json(v: unknown): string {
  return JSON.stringify(v ?? null);
}

/** Her profile and account settings. */
function accountSection({ user, login }: ExportSubject): Record<string, unknown> {
  return {
    id: user.id,
    login,
    state: user.state,
    public: user.public ?? null,
    private: user.private ?? null,
    email: user.email,
    emailVerified: user.emailVerified,
    lang: user.lang,
    lastSeen: user.lastSeen ? formatTs(user.lastSeen) : null,
  };
}

/** `,"name":[item,item,...]` with items written as they come. */
async function* arraySection(name: string, items: AsyncIterable<unknown>): AsyncGenerator<string> {
  yield `,${json(name)}:[`;
  let first = true;
  for await (const item of items) {
    yield (first ? '' : ',') + json(item);
    first = false;
  }
  yield ']';
}

/**
 * Her sessions and devices. Sessions are not stored yet, so there is nothing
 * to list; once the sessions table exists, this is the one place to yield
 * them (device, address, first and last seen), page by page.
 */
/** Where her account is signed in (addresses are stored masked only). */
async function* exportSessions(deps: ExportDeps, userId: string): AsyncGenerator<Record<string, unknown>> {
  for (const s of await liveSessions(deps, userId)) {
    yield { id: s.id, ua: s.ua, deviceId: s.deviceId, lang: s.lang, ip: s.ip, createdAt: formatTs(s.createdAt), lastActive: formatTs(s.lastActive) };
  }
}

async function* exportContacts(deps: ExportDeps, userId: string): AsyncGenerator<Record<string, unknown>> {
  for (const c of await deps.stores.contacts.list(userId)) {
    const item: Record<string, unknown> = { user: c.contactId, nickname: c.nickname, source: c.source, since: formatTs(c.createdAt) };
    if (c.user.state === 'deleted') item.deleted = true;
    else item.public = c.user.public ?? null;
    yield item;
  }
}

async function* exportFiles(deps: ExportDeps, userId: string): AsyncGenerator<Record<string, unknown>> {
  let after: string | null = null;
  for (;;) {
    const page = await deps.stores.files.uploadedBy(userId, after, EXPORT_PAGE);
    for (const f of page) {
      yield {
        id: f.id,
        name: f.originalName,
        mime: f.mime,
        size: f.size,
        uploadedAt: formatTs(f.createdAt),
        status: f.status,
        path: filePath(f.id),
        thumbPath: `${filePath(f.id)}/thumb`,
      };
    }
    if (page.length < EXPORT_PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

function filePath(id: string): string {
  return `/v0/file/${id}`;
}

/** Names of users by id, looked up once per export. */
class People {
  readonly #known = new Map<string, { public: unknown; deleted: boolean }>();
  constructor(private readonly deps: ExportDeps) {}

  async load(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.#known.has(id));
    for (let i = 0; i < missing.length; i += USER_BATCH) {
      const batch = missing.slice(i, i + USER_BATCH);
      const users = await this.deps.stores.accounts.getUsers(batch);
      for (const id of batch) {
        const u = users.get(id);
        this.#known.set(id, !u || u.state === 'deleted' ? { public: null, deleted: true } : { public: u.public ?? null, deleted: false });
      }
    }
  }

  get(id: string): { public: unknown; deleted: boolean } {
    return this.#known.get(id) ?? { public: null, deleted: true };
  }
}

/** `public.fn` when it is a string: the name apps show. */
function nameOf(pub: unknown): string | null {
  if (pub === null || typeof pub !== 'object' || Array.isArray(pub)) return null;
  const fn = (pub as Record<string, unknown>).fn;
  return typeof fn === 'string' ? fn : null;
}

async function* conversationsSection(deps: ExportDeps, userId: string): AsyncGenerator<string> {
  const people = new People(deps);
  yield ',"conversations":[';
  let first = true;
  for (const listing of await deps.stores.conversations.listForUser(userId)) {
    const head = await conversationHead(deps, people, listing);
    // The head without its closing brace, then the messages, then the brace.
    yield `${first ? '' : ','}${json(head).slice(0, -1)},"messages":[`;
    first = false;
    yield* conversationMessages(deps, people, userId, listing);
    yield ']}';
  }
  yield ']';
}

async function conversationHead(deps: ExportDeps, people: People, l: ConversationListing): Promise<Record<string, unknown>> {
  const c = l.conversation;
  const m = l.membership;
  const members = await deps.stores.membership.activeMembers(c.id);
  await people.load([...members.map((x) => x.userId), ...(l.peerId ? [l.peerId] : [])]);
  const peer = l.peerId ? people.get(l.peerId) : null;
  return {
    id: c.id,
    type: c.type,
    name: c.type === 'dm' ? nameOf(peer?.public) : nameOf(c.public),
    public: c.type === 'dm' ? null : (c.public ?? null),
    peer: l.peerId,
    createdAt: formatTs(c.createdAt),
    disappearingTTL: c.disappearingTtl,
    settings: { role: m.role, favorite: m.favorite, muted: m.muted, blocked: m.blocked, private: m.private ?? null, clearSeq: m.clearSeq },
    members: members.map((x) => {
      const p = people.get(x.userId);
      return p.deleted
        ? { id: x.userId, role: x.role, since: formatTs(x.since), deleted: true }
        : { id: x.userId, role: x.role, since: formatTs(x.since), public: p.public };
    }),
  };
}

async function* conversationMessages(deps: ExportDeps, people: People, userId: string, l: ConversationListing): AsyncGenerator<string> {
  let after = 0;
  let first = true;
  for (;;) {
    const page = await deps.stores.history.page({
      conversationId: l.conversation.id,
      reader: userId,
      clearSeq: l.membership.clearSeq,
      before: 0,
      after,
      limit: EXPORT_PAGE,
      // Read per page: a message that expires while the export runs is not written after it expired.
      now: new Date(),
    });
    if (page.length === 0) return;
    const items = page.map((m) => messageItem(deps, m));
    await people.load(page.map((m) => m.from));
    const refs = items.flatMap((i) => i.refs);
    const readable = refs.length > 0 ? await deps.stores.files.readableBy(userId, refs) : new Set<string>();
    let text = '';
    for (const { item, refs: own } of items) {
      const sender = people.get(item.from as string);
      item.fromName = sender.deleted ? null : nameOf(sender.public);
      const files = own.filter((id) => readable.has(id));
      if (files.length > 0) item.files = files.map((id) => ({ id, path: filePath(id) }));
      text += (first ? '' : ',') + json(item);
      first = false;
    }
    yield text;
    if (page.length < EXPORT_PAGE) return;
    after = page[page.length - 1]!.seq;
  }
}

/** One message with its content readable: the JSON the sender wrote, decrypted and parsed. */
function messageItem(deps: ExportDeps, m: MessageRecord): { item: Record<string, unknown>; refs: string[] } {
  const item: Record<string, unknown> = { seq: m.seq, from: m.from, ts: formatTs(m.createdAt) };
  let refs: string[] = [];
  if (m.deletedAt !== null) item.deleted = true;
  else if (m.content) {
    const bytes = deps.cipher.decrypt(m.content, m.keyId) ?? m.content;
    const content = parseJson(bytes.toString('utf8'));
    if (content === undefined) item.contentBase64 = bytes.toString('base64');
    else {
      item.content = content;
      const checked = checkContent(content);
      if (checked.ok) refs = checked.fileRefs;
    }
  } else item.content = null;
  if (Object.keys(m.head).length > 0) item.head = m.head;
  if (m.viewOnce) item.viewOnce = true;
  return { item, refs };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
