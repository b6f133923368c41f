import type { Ctrl, MvchatClient } from '../../client/index.js';
import { mapLimit } from './pool.js';
import { expectOk, openSetupClient } from './setup-client.js';
import type { BenchUser } from './user-pool.js';

/**
 * Sends requests back to back on one session (at most `window` unanswered),
 * in list order. The server handles one session's frames in order, so a
 * `login` followed by requests makes those requests run as that user.
 */
function pipeline(c: MvchatClient, requests: [string, unknown][], window = 100): Promise<Ctrl[]> {
  return mapLimit(requests.length, window, (i) => {
    const [op, body] = requests[i]!;
    return c.request(op, body);
  });
}

/** A room owned by `members[0]` with every other user added; returns its id. */
export async function createRoom(url: string, members: BenchUser[]): Promise<string> {
  const owner = members[0]!;
  const c = await openSetupClient(url);
  try {
    expectOk(await c.request('login', { scheme: 'token', secret: owner.token }), 'owner login');
    const conv = String(expectOk(await c.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'bench room' } } }), 'room create').params?.conv);
    const replies = await pipeline(
      c,
      members.slice(1).map((u) => ['room', { id: conv, action: 'invite', user: u.id }]),
    );
    for (const r of replies) expectOk(r, 'room invite');
    return conv;
  } finally {
    c.close();
  }
}

/** One DM per pair (users 2i and 2i+1); returns the conversation ids in pair order. */
export async function createDmPairs(url: string, users: BenchUser[], pairs: number): Promise<string[]> {
  const c = await openSetupClient(url);
  try {
    const requests: [string, unknown][] = [];
    for (let i = 0; i < pairs; i++) {
      requests.push(['login', { scheme: 'token', secret: users[2 * i]!.token }]);
      requests.push(['dm', { user: users[2 * i + 1]!.id }]);
    }
    const replies = await pipeline(c, requests);
    for (const r of replies) expectOk(r, 'dm setup');
    return replies.filter((_, i) => i % 2 === 1).map((r) => String(r.params?.conv));
  } finally {
    c.close();
  }
}
