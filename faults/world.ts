import { randomUUID } from 'node:crypto';
import { ClientStats } from './client-stats.js';
import { FaultClient, type Account } from './fault-client.js';
import { PresenceView } from './presence-view.js';
import { inBatches, signUp } from './sign-up.js';
import type { Topology } from './topology.js';

export interface WorldPlan {
  /** Clients that send, spread over the slots. */
  clients: number;
  slots: number;
  reconnectWithinMs: number;
}

/**
 * The users of one phase and their conversations: `clients` senders in one
 * room (with the watcher) and in a ring of DMs (each with the next one);
 * the watcher, who sends nothing and watches everyone's presence; and two
 * presence users who only share a DM with the watcher and take turns: in
 * each round the online one leaves and the other one arrives.
 */
export class World {
  readonly senders: FaultClient[] = [];
  readonly view: PresenceView;
  readonly watcher: FaultClient;
  room = '';
  /** Conversation → its members' clients (a presence user's DM has only the watcher here: the other side sends nothing). */
  readonly members = new Map<string, FaultClient[]>();
  /** Sender → the conversations it sends into. */
  readonly convsOf = new Map<FaultClient, string[]>();
  /** The presence user online now (undefined before the phase starts) and the one offline. */
  presenceOnline: FaultClient | undefined;
  presenceOffline: Account;
  /** Clients whose stats count in the current round. */
  roundClients: FaultClient[] = [];

  private constructor(
    readonly topology: Topology,
    readonly plan: WorldPlan,
    accounts: Account[],
    watcher: Account,
    private readonly presenceAccounts: [Account, Account],
  ) {
    const slotOf = (i: number) => i % plan.slots;
    this.senders = accounts.map((a, i) => this.#client(a, slotOf(i)));
    this.watcher = this.#client(watcher, 0);
    this.view = new PresenceView(() => this.subjects().map((a) => a.id));
    this.watcher.onFrame = (f) => this.view.onFrame(f);
    this.watcher.afterLogin = (conn) => this.view.load(conn);
    this.presenceOffline = presenceAccounts[1];
  }

  static async create(topology: Topology, plan: WorldPlan): Promise<World> {
    const tag = randomUUID().slice(0, 6);
    const names = [...Array.from({ length: plan.clients }, (_, i) => `s${i}_${tag}`), `watch_${tag}`, `pa_${tag}`, `pb_${tag}`];
    const accounts = await inBatches(names, 3, (name, i) => signUp(topology.locate(i % plan.slots)!, name));
    const world = new World(topology, plan, accounts.slice(0, plan.clients), accounts[plan.clients]!, [
      accounts[plan.clients + 1]!,
      accounts[plan.clients + 2]!,
    ]);
    await world.#setUp();
    return world;
  }

  #client(account: Account, slot: number): FaultClient {
    return new FaultClient(account, slot, this.topology.locate, this.plan.reconnectWithinMs);
  }

  /** The presence users live on the last slot (the node that is killed in a cluster). */
  get presenceSlot(): number {
    return this.plan.slots - 1;
  }

  async #setUp(): Promise<void> {
    await inBatches(this.senders, 8, (c) => c.start());
    const owner = this.senders[0]!;
    const room = await owner.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'faults' } } });
    if (room.code !== 201) throw new Error(`room create answered ${room.code} ${room.text}`);
    this.room = String(room.params?.conv);
    for (const c of [...this.senders.slice(1), this.watcher]) {
      const r = await owner.request('room', { id: this.room, action: 'invite', user: c.account.id });
      if (r.code !== 200) throw new Error(`room invite answered ${r.code} ${r.text}`);
    }
    this.#join(this.room, [...this.senders, this.watcher]);
    for (const c of this.senders) this.convsOf.set(c, [this.room]);
    const n = this.senders.length;
    for (let i = 0; i < n && n > 1; i++) {
      const a = this.senders[i]!;
      const b = this.senders[(i + 1) % n]!;
      if (n === 2 && i === 1) break;
      const r = await a.request('dm', { user: b.account.id });
      if (r.code !== 200 && r.code !== 201) throw new Error(`dm answered ${r.code} ${r.text}`);
      const conv = String(r.params?.conv);
      this.#join(conv, [a, b]);
      this.convsOf.get(a)!.push(conv);
      this.convsOf.get(b)!.push(conv);
    }
    await this.watcher.start();
    for (const p of this.presenceAccounts) {
      const r = await this.watcher.request('dm', { user: p.id });
      if (r.code !== 200 && r.code !== 201) throw new Error(`dm answered ${r.code} ${r.text}`);
    }
    // The first presence user comes online; the watcher sees it as it would any change.
    this.presenceOnline = this.#client(this.presenceAccounts[0], this.presenceSlot);
    await this.presenceOnline.start();
  }

  #join(conv: string, clients: FaultClient[]): void {
    this.members.set(conv, clients);
    for (const c of clients) c.ledger.conv(conv);
  }

  /** Everyone whose presence the watcher should show right. */
  subjects(): Account[] {
    return [...this.senders.map((c) => c.account), ...this.presenceAccounts];
  }

  /** What the watcher should show for each subject now: senders and the online presence user on, the other one off. */
  expectedPresence(): Map<string, boolean> {
    const m = new Map<string, boolean>();
    for (const c of this.senders) m.set(c.account.id, true);
    for (const p of this.presenceAccounts) m.set(p.id, p.id === this.presenceOnline?.account.id);
    return m;
  }

  nameOf(userId: string): string {
    return this.subjects().find((a) => a.id === userId)?.name ?? userId;
  }

  /** Starts a round: fresh stats on every client that takes part. */
  startRound(): void {
    this.roundClients = [...this.senders, this.watcher, ...(this.presenceOnline ? [this.presenceOnline] : [])];
    for (const c of this.roundClients) c.stats = new ClientStats();
  }

  /**
   * The presence users swap: the online one leaves (`close`: closes its
   * socket; `dies`: gives up on it, it dies with its server) and the other
   * one starts connecting (in the background; see `arrived`).
   */
  swapPresence(how: 'close' | 'dies'): FaultClient {
    const leaver = this.presenceOnline!;
    if (how === 'close') leaver.stop();
    else leaver.abandon();
    const arriver = this.#client(this.presenceOffline, this.presenceSlot);
    this.presenceOffline = leaver.account;
    this.presenceOnline = arriver;
    this.roundClients.push(arriver);
    return arriver;
  }

  /** Every client that is meant to be connected now. */
  connected(): FaultClient[] {
    return [...this.senders, this.watcher, ...(this.presenceOnline ? [this.presenceOnline] : [])];
  }

  stop(): void {
    for (const c of this.connected()) c.stop();
  }
}
