import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { AnnouncePresence, Presence, PresenceChange } from './presence.js';
import type { RedisKeys } from './redis-keys.js';

// Every script that writes presence takes KEYS: presence hash, node-users set, epoch;
// ARGV: node id, this node's session count, user id, the epoch the node knows.
// A Redis whose epoch is not that one lost what the node wrote there: it changes nothing and answers -1.
// The scripts decide on which fields exist (HLEN): what the subscribers were told. A field's count is what
// readers go by: a count of 0 (put back by a recovery for a user who left) is a field but no session.
const EPOCH_CHECK = `if redis.call('GET', KEYS[3]) ~= ARGV[4] then return -1 end
`;

// Returns 1 when the user had no session on any node before (came online).
const CONNECT = `${EPOCH_CHECK}
local before = redis.call('HLEN', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if before == 0 then return 1 end
return 0`;

// A count of 0 removes this node's field; returns 1 when no node has the user any more.
const DISCONNECT = `${EPOCH_CHECK}
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 0
end
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[3])
if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0`;

// Brings this node's field to its count (0 removes it). ARGV[5] is 1 when the user's subscribers know of
// this node's field (it was written and answered while in step). What they were told before: online when
// another node has a field or they know of this node's; after: online when any node has a field.
// Returns before + 2 * after.
const RECONCILE = `${EPOCH_CHECK}
local others = redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], ARGV[1])
local before = 0
if others > 0 or ARGV[5] == '1' then before = 1 end
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[3])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[3])
end
if redis.call('HLEN', KEYS[1]) > 0 then return before + 2 end
return before`;

// Makes this node's field what the subscribers know of, deciding nothing: ARGV[5] is 1 when they know of
// it (there, or put back when Redis lost it, with this node's count now: 0 for a user who left, so that
// she reads as offline while the recovery holds her field until it tells her "off"), 0 when they do not
// (a write whose answer never came: removed).
const PUT_BACK = `${EPOCH_CHECK}
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[3])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[3])
end
return 0`;

// KEYS: epoch. ARGV: a new epoch id, used when there is none. Returns the current epoch.
const EPOCH = `local e = redis.call('GET', KEYS[1])
if e then return e end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`;

/** Users reconciled per round trip. */
const BATCH = 500;

export interface RedisPresenceOptions {
  /**
   * How long a recovering node waits between steps so that every other live
   * node has done the previous step: longer than the longest reconnect delay.
   */
  settleMs?: number;
  log?: Logger;
}

class EpochChanged extends Error {
  constructor() {
    super('presence epoch changed: Redis lost its data');
  }
}

/**
 * Presence across nodes. This node's session counts are kept in memory (the
 * truth for this node) and mirrored into one Redis hash per user (node id →
 * count); the online/offline decision is made atomically by a script in Redis.
 *
 * When a write fails (Redis unreachable, too slow, or it lost its data), the
 * node falls out of step: from then on changes are only counted here, and
 * `connect`/`disconnect` return false. `recover` (run by the wiring until it
 * succeeds) brings Redis back in line and tells the net change of each user
 * once; see docs/operations.md (Redis down).
 */
export class RedisPresence implements Presence {
  /** Sessions per user on this node. */
  readonly #truth = new Map<string, number>();
  /**
   * Users whose field for this node the subscribers know of: written and
   * answered while in step (their "on" or lack of "off" took it into account),
   * or settled by a recovery.
   */
  readonly #shown = new Set<string>();
  /** When the last local session of each user closed, until Redis has it (her last seen in a late "off"). */
  readonly #leftAt = new Map<string, Date>();
  /** Users whose sessions changed while out of step. */
  readonly #changed = new Set<string>();
  #epoch: string | null = null;
  #inStep = true;
  /** Raised each time the node falls out of step: answers to writes sent before are ignored. */
  #generation = 0;
  #recovery: Promise<boolean> | null = null;
  #closed = false;
  readonly #sleepers = new Set<() => void>();
  readonly #settleMs: number;
  readonly #log: Logger | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    options: RedisPresenceOptions = {},
  ) {
    this.#settleMs = options.settleMs ?? 3000;
    this.#log = options.log;
  }

  /** False while Redis may not hold this node's sessions (until `recover` succeeds). */
  get inStep(): boolean {
    return this.#inStep;
  }

  connect(userId: string): Promise<boolean> {
    const n = (this.#truth.get(userId) ?? 0) + 1;
    this.#truth.set(userId, n);
    this.#leftAt.delete(userId);
    return this.#write(CONNECT, userId, n);
  }

  disconnect(userId: string): Promise<boolean> {
    const n = Math.max(0, (this.#truth.get(userId) ?? 0) - 1);
    if (n > 0) this.#truth.set(userId, n);
    else if (this.#truth.delete(userId)) this.#leftAt.set(userId, new Date());
    return this.#write(DISCONNECT, userId, n);
  }

  async #write(script: string, userId: string, count: number): Promise<boolean> {
    if (!this.#inStep) {
      this.#changed.add(userId);
      return false;
    }
    const generation = this.#generation;
    let r: unknown;
    try {
      const epoch = (this.#epoch ??= await this.#acquireEpoch());
      // Fell out of step while the epoch was read: the recovery settles this user.
      if (generation !== this.#generation) return this.#late(userId);
      r = await this.#run(script, this.nodeId, userId, count, epoch);
    } catch (err) {
      this.#fellBehind(generation, err instanceof Error ? err.message : String(err));
      return this.#late(userId);
    }
    if (r === -1) {
      this.#fellBehind(generation, new EpochChanged().message);
      return this.#late(userId);
    }
    // An answer to a write sent before the node fell out of step: whatever it decided, nobody was told; the recovery settles it.
    if (generation !== this.#generation) return this.#late(userId);
    if (count > 0) this.#shown.add(userId);
    else {
      this.#shown.delete(userId);
      if (!this.#truth.has(userId)) this.#leftAt.delete(userId);
    }
    return r === 1;
  }

  #late(userId: string): false {
    this.#changed.add(userId);
    return false;
  }

  #fellBehind(generation: number, reason: string): void {
    if (generation !== this.#generation || !this.#inStep) return;
    this.#inStep = false;
    this.#generation++;
    this.#log?.warn({ reason, users: this.#truth.size }, 'presence out of step with Redis: changes are kept on this node and told once it is back');
  }

  /**
   * Another node took this one for dead (it was cut off from Redis longer
   * than the TTL) and removed its fields, telling "off" for users with no
   * other node: the subscribers know of none of this node's fields any more.
   * The node falls out of step; its recovery tells "on" for its users again.
   */
  removedFromCluster(): void {
    this.#shown.clear();
    this.#fellBehind(this.#generation, 'this node was removed from presence by another node');
  }

  async #acquireEpoch(): Promise<string> {
    return String(await this.redis.eval(EPOCH, 1, this.keys.presenceEpoch, randomUUID()));
  }

  /**
   * Online anywhere: another node counts a session of the user, or she has a
   * session here (this node's own field may lag behind while out of step). A
   * field with a count of 0 (a recovery holding the field of a user who left
   * until it tells her "off") is no session.
   * While Redis is unreachable this degrades to what this node knows.
   */
  async online(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    try {
      const fields = await this.#fieldsOf(userIds);
      return new Set(
        userIds.filter((u, i) => this.#truth.has(u) || Object.entries(fields[i] ?? {}).some(([n, count]) => n !== this.nodeId && Number(count) > 0)),
      );
    } catch {
      return new Set(userIds.filter((u) => this.#truth.has(u)));
    }
  }

  /**
   * Nodes that have a field for each user (for routing frames). A field with
   * a count of 0 is included: its node may have had a session of hers again
   * since, which its recovery writes at its end; a frame it has nobody for is dropped there.
   */
  async nodesOf(userIds: readonly string[]): Promise<string[][]> {
    return (await this.#fieldsOf(userIds)).map((f) => Object.keys(f));
  }

  /** Each user's presence hash: node id → session count. */
  async #fieldsOf(userIds: readonly string[]): Promise<Record<string, string>[]> {
    const pipe = this.redis.pipeline();
    for (const u of userIds) pipe.hgetall(this.keys.presence(u));
    const results = (await pipe.exec()) ?? [];
    return userIds.map((_, i) => {
      const r = results[i];
      if (r?.[0]) throw r[0];
      return (r?.[1] as Record<string, string> | undefined) ?? {};
    });
  }

  /**
   * While in step: checks that Redis still has the epoch this node wrote
   * under (it has not lost its data since); if not, the node falls out of step.
   * Errors are left to the writes that will fail.
   */
  async verify(): Promise<void> {
    if (!this.#inStep || this.#epoch === null) return;
    const generation = this.#generation;
    const current = await this.redis.get(this.keys.presenceEpoch).catch(() => undefined);
    if (current !== undefined && current !== this.#epoch) this.#fellBehind(generation, new EpochChanged().message);
  }

  /**
   * Brings Redis back in line with this node's sessions and tells each net
   * change once, through `announce`. True once the node is in step again;
   * false while Redis is still away (call again later). One recovery runs at a time.
   *
   * 1. This node's fields are made what the subscribers know of, deciding
   *    nothing: put back if Redis lost them (with the count of sessions here
   *    now, 0 for a user who left: she reads as offline, though her field
   *    stands for what her subscribers were told until step 3 tells "off"),
   *    removed if they were written by a write whose answer never came
   *    (nobody was told of it). Then the node
   *    waits for the other nodes to do the same, so that Redis shows what the
   *    subscribers were told, the state every change is measured against.
   * 2. Every user with a session here gets her field; she is told "on" when
   *    nobody was told she was online (no other node has a field, and the
   *    subscribers did not know of this node's).
   * 3. After the other nodes had time for step 2, fields of users who left
   *    are removed; "off" (with the time her last session here closed) when
   *    no node has a field left. Additions go first everywhere, so a user who
   *    moved from one node to another during the outage is told nothing.
   * 4. Users whose sessions changed meanwhile are reconciled again; then the
   *    node is in step and writes as usual.
   */
  recover(announce: AnnouncePresence): Promise<boolean> {
    if (this.#inStep) return Promise.resolve(true);
    this.#recovery ??= this.#recover(announce).finally(() => (this.#recovery = null));
    return this.#recovery;
  }

  async #recover(announce: AnnouncePresence): Promise<boolean> {
    let epoch: string;
    try {
      epoch = await this.#acquireEpoch();
    } catch {
      return false; // still away
    }
    const dataLost = this.#epoch !== null && epoch !== this.#epoch;
    this.#epoch = epoch;
    const told = { on: 0, off: 0 };
    // As when in step, telling is best effort: Redis has moved on either way.
    const tell = async (changes: PresenceChange[]) => {
      for (const c of changes) told[c.online ? 'on' : 'off']++;
      await Promise.all(
        changes.map((c) =>
          announce(c).catch((err: unknown) =>
            this.#log?.warn({ err: err instanceof Error ? err.message : String(err), user: c.userId }, 'presence change could not be told'),
          ),
        ),
      );
    };
    try {
      const registered = await this.redis.smembers(this.keys.nodeUsers(this.nodeId));
      await this.#putBack(new Set([...this.#shown, ...registered]), epoch);
      if (!(await this.#sleep(this.#settleMs))) return false;
      await tell(await this.#reconcile([...this.#truth.keys()], epoch));
      if (!(await this.#sleep(this.#settleMs))) return false;
      this.#changed.clear();
      const stillRegistered = await this.redis.smembers(this.keys.nodeUsers(this.nodeId));
      const everyone = new Set([...this.#shown, ...this.#truth.keys(), ...this.#leftAt.keys(), ...stillRegistered]);
      await tell(await this.#reconcile([...everyone], epoch));
      while (this.#changed.size > 0) {
        const again = [...this.#changed];
        this.#changed.clear();
        await tell(await this.#reconcile(again, epoch));
      }
    } catch (err) {
      if (err instanceof EpochChanged) this.#log?.warn('Redis lost its data again during presence recovery; starting over');
      else this.#log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'presence recovery interrupted; trying again');
      return false;
    }
    if (this.#closed) return false;
    this.#inStep = true;
    this.#log?.info({ dataLost, users: this.#truth.size, toldOn: told.on, toldOff: told.off }, 'presence back in step with Redis');
    return true;
  }

  async #putBack(users: Set<string>, epoch: string): Promise<void> {
    const all = [...users];
    for (let i = 0; i < all.length; i += BATCH) {
      const results = await Promise.all(
        all.slice(i, i + BATCH).map((u) => this.#run(PUT_BACK, this.nodeId, u, this.#truth.get(u) ?? 0, epoch, this.#shown.has(u) ? 1 : 0)),
      );
      if (results.includes(-1)) throw new EpochChanged();
    }
  }

  /** Reconciles `users` in batches; returns the changes to tell. */
  async #reconcile(users: string[], epoch: string): Promise<PresenceChange[]> {
    const changes: PresenceChange[] = [];
    for (let i = 0; i < users.length; i += BATCH) {
      const batch = await Promise.all(users.slice(i, i + BATCH).map((u) => this.#reconcileOne(u, epoch)));
      for (const c of batch) if (c) changes.push(c);
    }
    return changes;
  }

  /** One presence script for `userId` on `nodeId`'s entry: the keys and arguments every script takes, then its own. */
  #run(script: string, nodeId: string, userId: string, count: number, epoch: string, ...more: number[]): Promise<unknown> {
    return this.redis.eval(script, 3, this.keys.presence(userId), this.keys.nodeUsers(nodeId), this.keys.presenceEpoch, nodeId, count, userId, epoch, ...more);
  }

  async #reconcileOne(userId: string, epoch: string): Promise<PresenceChange | null> {
    const count = this.#truth.get(userId) ?? 0;
    const shown = this.#shown.has(userId) ? 1 : 0;
    const r = await this.#run(RECONCILE, this.nodeId, userId, count, epoch, shown);
    if (r === -1) throw new EpochChanged();
    if (count > 0) this.#shown.add(userId);
    else this.#shown.delete(userId);
    const at = this.#leftAt.get(userId) ?? new Date();
    if (!this.#truth.has(userId)) this.#leftAt.delete(userId);
    const before = (Number(r) & 1) === 1;
    const after = (Number(r) & 2) === 2;
    if (before === after) return null;
    return after ? { userId, online: true, at: new Date() } : { userId, online: false, at };
  }

  /** Resolves true after `ms`, false at once when the presence is closed. */
  #sleep(ms: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve(!this.#closed);
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  /**
   * Removes a node's fields from every user it hosted; returns the users who
   * are now offline everywhere (the caller tells their subscribers).
   */
  async removeNode(nodeId: string): Promise<string[]> {
    const generation = this.#generation;
    const epoch = (this.#epoch ??= await this.#acquireEpoch());
    const users = await this.redis.smembers(this.keys.nodeUsers(nodeId));
    const offline: string[] = [];
    for (const userId of users) {
      const r = await this.#run(DISCONNECT, nodeId, userId, 0, epoch);
      if (r === -1) {
        // Redis lost its data: nothing of that node is left to remove, and this node must write its own users again.
        this.#fellBehind(generation, new EpochChanged().message);
        return offline;
      }
      if (r === 1) offline.push(userId);
    }
    await this.redis.del(this.keys.nodeUsers(nodeId));
    return offline;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#sleepers]) wake();
    this.#truth.clear();
    this.#shown.clear();
    this.#leftAt.clear();
    this.#changed.clear();
  }
}
