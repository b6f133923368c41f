import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startNode, type NodeProcess } from '../test/helpers/node-process.js';
import { track } from './children.js';

/**
 * The server processes of one phase, by slot. A slot keeps its data folder
 * and log file across restarts; clients ask `locate` where to connect, which
 * is their own slot's node while it is up and a surviving node otherwise
 * (what a load balancer in front of them would do).
 */
export class Topology {
  readonly #slots: (NodeProcess | undefined)[] = [];

  constructor(
    readonly label: string,
    private readonly env: Record<string, string>,
    private readonly dir: string,
  ) {}

  async start(slot: number): Promise<NodeProcess> {
    const dataDir = path.join(this.dir, `${this.label}-${slot}`);
    mkdirSync(dataDir, { recursive: true });
    const node = await startNode(this.env, `${this.label}-${slot}`, { dataDir, logFile: `${dataDir}.log` });
    track(node.child);
    this.#slots[slot] = node;
    return node;
  }

  readonly locate = (slot: number): string | undefined => (this.#slots[slot] ?? this.#slots.find(Boolean))?.url;

  node(slot: number): NodeProcess {
    const node = this.#slots[slot];
    if (!node) throw new Error(`${this.label}: slot ${slot} is down`);
    return node;
  }

  /** SIGKILL; the slot is marked down first, so reconnecting clients go elsewhere (or wait). */
  async kill(slot: number): Promise<void> {
    const node = this.#slots[slot];
    this.#slots[slot] = undefined;
    await node?.kill();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#slots.map((n, slot) => n && this.kill(slot)));
  }

  /** The slow-consumer closes a node has counted (its /metrics). */
  async slowConsumerCloses(slot: number): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.node(slot).port}/metrics`)).text();
    return Number(/^mvchat_slow_consumer_closes_total (\d+)/m.exec(text)?.[1] ?? 0);
  }
}
