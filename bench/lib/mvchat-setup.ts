import { expectOk, MvchatClient, type Ctrl } from './mvchat-client.js';
import type { BenchUser } from './user-pool.js';

/**
 * Sends requests back to back on one session (at most `window` unanswered).
 * The server handles one session's frames in order, so a `login` followed by
 * requests makes those requests run as that user.
 */
async function pipeline(c: MvchatClient, requests: [string, unknown][], window = 100): Promise<Ctrl[]> {
  const out: Ctrl[] = new Array<Ctrl>(requests.length);
  let next = 0;
  await new Promise<void>((resolve) => {
    let done = 0;
    const pump = () => {
      while (next < requests.length && c.pending < window) {
        const i = next++;
        const [op, body] = requests[i]!;
        c.requestCb(op, body, (ctrl) => {
          out[i] = ctrl;
          if (++done === requests.length) resolve();
          else pump();
        });
      }
    };
    if (requests.length === 0) resolve();
    pump();
  });
  return out;
}

/** A room owned by `members[0]` with every other user added; returns its id. */
export async function createRoom(url: string, members: BenchUser[]): Promise<string> {
  const owner = members[0]!;
  const c = await MvchatClient.connect(url);
  try {
    expectOk(await c.request('login', { scheme: 'token', secret: owner.token }), 'owner login');
    const conv = String(expectOk(await c.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'bench room' } } }), 'room create').params?.conv);
    const replies = await pipeline(c, members.slice(1).map((u) => ['room', { id: conv, action: 'invite', user: u.id }]));
    replies.forEach((r) => expectOk(r, 'room invite'));
    return conv;
  } finally {
    c.close();
  }
}

/** One DM per pair (users 2i and 2i+1); returns the conversation ids in pair order. */
export async function createDmPairs(url: string, users: BenchUser[], pairs: number): Promise<string[]> {
  const c = await MvchatClient.connect(url);
  try {
    const requests: [string, unknown][] = [];
    for (let i = 0; i < pairs; i++) {
      requests.push(['login', { scheme: 'token', secret: users[2 * i]!.token }]);
      requests.push(['dm', { user: users[2 * i + 1]!.id }]);
    }
    const replies = await pipeline(c, requests);
    replies.forEach((r) => expectOk(r, 'dm setup'));
    return replies.filter((_, i) => i % 2 === 1).map((r) => String(r.params?.conv));
  } finally {
    c.close();
  }
}
