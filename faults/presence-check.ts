import type { World } from './world.js';

export interface PresenceResult {
  /** Seconds from the fault until the watcher's view was last changed to what is right; undefined when it is still wrong. */
  seconds: number | undefined;
  wrong: string[];
}

/**
 * Compares the watcher's view (pres frames since its last login, on top of
 * `get user` at that login) with what is true, and asks `get user` once more.
 */
export async function checkPresence(world: World, faultAt: number): Promise<PresenceResult> {
  const wrong: string[] = [];
  let latest = faultAt;
  for (const [user, online] of world.expectedPresence()) {
    const seen = world.view.get(user);
    if (seen?.online !== online) wrong.push(`${world.nameOf(user)} shown ${seen ? (seen.online ? 'on' : 'off') : 'unknown'}, is ${online ? 'on' : 'off'}`);
    else latest = Math.max(latest, seen.at);
    const r = await world.watcher.request('get', { what: 'user', user });
    const answered = (r.params?.user as { online?: boolean } | undefined)?.online;
    if (answered !== online) wrong.push(`get user says ${world.nameOf(user)} is ${answered ? 'on' : 'off'}, is ${online ? 'on' : 'off'}`);
  }
  return { seconds: wrong.length > 0 ? undefined : (latest - faultAt) / 1000, wrong };
}
