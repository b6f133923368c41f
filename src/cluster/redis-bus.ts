import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Bus, ControlMessage, DeliveryOptions, LocalDelivery } from './bus.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisPresence } from './redis-presence.js';
import { ReorderBuffer } from './reorder-buffer.js';

/** What the bus reports to the node's metrics. */
export interface BusObserver {
  published(seconds: number): void;
  failed(): void;
  /** A conversation's frames went on past a missing seq (`skipped`), or a late frame was dropped (`dropped`). */
  outOfOrder(outcome: 'skipped' | 'dropped'): void;
}

export interface RedisBusOptions {
  /** Longest a frame waits for a missing lower seq of its conversation (ms). */
  orderHoldMs?: number;
  /** Test only: every cross-node send of this node leaves this many ms late (in order), to reproduce races between nodes. */
  publishDelayMs?: number;
}

/** What travels between nodes: one frame for some users of the receiving node. */
interface InboxMessage {
  /** Origin node (diagnostics). */
  n: string;
  u: string[];
  f: string;
  x?: string;
  d?: 1;
  /** Order key: conversation and seq. */
  c?: string;
  s?: number;
}

/** A control message for one user's sessions, on the control channel every node reads. */
interface ControlEnvelope {
  /** Origin node. */
  n: string;
  u: string;
  c: ControlMessage;
}

// From this many recipients on, a frame goes once to every node instead of being routed per user.
const EVERY_NODE_FROM = 32;

/**
 * Cross-node delivery. A publish delivers to local sessions directly. For a
 * few recipients it looks up which other nodes host them (the presence
 * hashes) and publishes the frame once per such node, so a node only
 * receives frames for users it hosts. For many recipients (a room) one
 * lookup per member would cost more than the frame: it is published once on
 * a channel every node reads, and each node delivers to the listed users it
 * hosts. Each session gets a frame once. Publishes are issued in call order
 * on one connection and every node reads both channels on one connection, so
 * frames from one node to one user keep their order.
 *
 * Control messages (rare) skip the presence lookup, which may fail or be
 * stale: each goes once on a control channel every node reads, in the same
 * call order and on the same connections as frames. It has a channel of its
 * own so that a node that does not know control messages never takes one for
 * a frame.
 *
 * Frames of different nodes have no order between them, so a frame's order
 * key travels with it and every delivery to this node's sessions, its own
 * publishes included, goes through a ReorderBuffer.
 */
export class RedisBus implements Bus {
  #chain: Promise<void> = Promise.resolve();
  readonly #controlChannel: Buffer;
  readonly #local: ReorderBuffer;
  readonly #publishDelayMs: number;

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    private readonly presence: RedisPresence,
    local: LocalDelivery,
    private readonly observer: BusObserver,
    private readonly log: Logger,
    options: RedisBusOptions = {},
  ) {
    this.#controlChannel = Buffer.from(keys.everyNodeControl());
    this.#publishDelayMs = options.publishDelayMs ?? 0;
    this.#local = new ReorderBuffer(local, {
      holdMs: options.orderHoldMs ?? 500,
      events: {
        skipped: (conv, from, to) => {
          observer.outOfOrder('skipped');
          log.debug({ conv, from, to }, 'seqs did not arrive in time; later messages delivered without them');
        },
        dropped: (conv, seq) => {
          observer.outOfOrder('dropped');
          log.warn({ conv, seq }, 'message arrived after a later one was delivered; dropped, recipients catch up from history');
        },
        failed: (conv, err) => log.error({ err, conv }, 'delivery of held messages failed'),
      },
    });
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      channel.equals(this.#controlChannel) ? this.#receiveControl(message) : this.#receive(message),
    );
  }

  async start(): Promise<void> {
    await this.sub.subscribe(this.keys.inbox(this.nodeId), this.keys.everyNode(), this.keys.everyNodeControl());
  }

  publish(userIds: readonly string[], frame: string, options: DeliveryOptions = {}): void {
    this.#local.deliver(userIds, frame, options);
    if (userIds.length >= EVERY_NODE_FROM) {
      this.#publishToEveryNode(userIds, frame, options);
      return;
    }
    // Lookups run in order, so remote publishes keep the order of calls.
    const started = performance.now();
    const routed = this.presence.nodesOf(userIds).catch((err: unknown) => err as Error);
    this.#then(started, async () => {
      const nodes = await routed;
      if (nodes instanceof Error) return this.#failed(nodes, userIds.length);
      const byNode = new Map<string, string[]>();
      nodes.forEach((list, i) => {
        for (const node of list) {
          if (node === this.nodeId) continue;
          let users = byNode.get(node);
          if (!users) byNode.set(node, (users = []));
          users.push(userIds[i] as string);
        }
      });
      if (byNode.size === 0) return;
      const pipe = this.pub.pipeline();
      for (const [node, users] of byNode) pipe.publish(this.keys.inbox(node), this.#message(users, frame, options));
      try {
        await pipe.exec();
        this.observer.published((performance.now() - started) / 1000);
      } catch (err) {
        this.#failed(err as Error, userIds.length);
      }
    });
  }

  #message(users: readonly string[], frame: string, options: DeliveryOptions): string {
    const msg: InboxMessage = { n: this.nodeId, u: [...users], f: frame };
    if (options.exceptSession) msg.x = options.exceptSession;
    if (options.droppable) msg.d = 1;
    if (options.order) {
      msg.c = options.order.conv;
      msg.s = options.order.seq;
    }
    return JSON.stringify(msg);
  }

  #publishToEveryNode(userIds: readonly string[], frame: string, options: DeliveryOptions): void {
    const text = this.#message(userIds, frame, options);
    const started = performance.now();
    // Issued (not awaited) in chain order: the connection keeps the order, the next publish need not wait for this reply.
    this.#then(started, () => {
      this.pub.publish(this.keys.everyNode(), text).then(
        () => this.observer.published((performance.now() - started) / 1000),
        (err: unknown) => this.#failed(err as Error, userIds.length),
      );
    });
  }

  control(userId: string, message: ControlMessage): Promise<void> {
    this.#local.control(userId, { ...message, origin: this.nodeId });
    const envelope: ControlEnvelope = { n: this.nodeId, u: userId, c: message };
    const text = JSON.stringify(envelope);
    let reply: Promise<unknown> = Promise.resolve();
    // Issued in chain order, after the frames published before it; the chain does not wait for the reply.
    const issued = this.#then(performance.now(), () => {
      reply = this.pub.publish(this.keys.everyNodeControl(), text);
    });
    return issued
      .then(() => reply)
      .then(
        () => undefined,
        (err: unknown) => {
          this.#failed(err as Error, 1);
          throw err;
        },
      );
  }

  /** Appends a step to the chain of cross-node sends (with the test-only delay, from `calledAt` on). */
  #then(calledAt: number, step: () => void | Promise<void>): Promise<void> {
    const delay = this.#publishDelayMs;
    const before =
      delay > 0
        ? this.#chain.then(() => {
            const ms = calledAt + delay - performance.now();
            return ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : undefined;
          })
        : this.#chain;
    return (this.#chain = before.then(step));
  }

  #failed(err: Error, recipients: number): void {
    this.observer.failed();
    this.log.warn({ err: err.message, recipients }, 'cross-node publish failed; recipients catch up from history');
  }

  #receive(raw: Buffer): void {
    let msg: InboxMessage;
    try {
      msg = JSON.parse(raw.toString('utf8')) as InboxMessage;
    } catch (err) {
      this.log.error({ err }, 'unreadable inbox message');
      return;
    }
    // This node delivered its own frames when it published them.
    if (msg.n === this.nodeId) return;
    const options: DeliveryOptions = { exceptSession: msg.x, droppable: msg.d === 1 };
    if (typeof msg.c === 'string' && typeof msg.s === 'number') options.order = { conv: msg.c, seq: msg.s };
    this.#local.deliver(msg.u, msg.f, options);
  }

  #receiveControl(raw: Buffer): void {
    let msg: ControlEnvelope;
    try {
      msg = JSON.parse(raw.toString('utf8')) as ControlEnvelope;
    } catch (err) {
      this.log.error({ err }, 'unreadable control message');
      return;
    }
    // This node applied its own control messages when it sent them.
    if (msg.n === this.nodeId) return;
    this.#local.control(msg.u, { ...msg.c, origin: msg.n });
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.sub.quit().catch(() => undefined);
    this.#local.close();
  }
}
