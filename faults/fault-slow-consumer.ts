import type { FaultClient } from './fault-client.js';
import type { Fault, FaultContext } from './round.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SlowConsumerPlan {
  /** Padding of each flood message (bytes of text). */
  padBytes: number;
  /** At most this many flood messages, for at most `withinMs`. */
  maxMessages: number;
  withinMs: number;
}

/**
 * A client stops reading its socket while its DM partner sends it big
 * messages back to back; the kernel buffers fill, then the server's queue,
 * until the server closes it as a slow consumer (its node's
 * `mvchat_slow_consumer_closes_total` goes up). It then reads again (what
 * was queued, then the close), reconnects and catches up.
 */
export function slowConsumer(plan: SlowConsumerPlan): Fault {
  let slow: FaultClient | undefined;
  return {
    name: 'slow consumer closed by the server',
    leave: 'close',
    async inject(ctx: FaultContext): Promise<void> {
      const { world, traffic } = ctx;
      const reader = world.senders.find((c) => c.slot === 0)!;
      const dm = world.convsOf.get(reader)!.find((conv) => conv !== world.room && world.members.get(conv)!.length === 2)!;
      const flooder = world.members.get(dm)!.find((c) => c !== reader)!;
      slow = reader;
      const node = reader.slot;
      const before = await world.topology.slowConsumerCloses(node);
      let closed = false;
      const deadline = Date.now() + plan.withinMs;
      reader.pauseReading();
      const watch = (async () => {
        while (!closed && Date.now() < deadline) {
          await sleep(100);
          closed = (await world.topology.slowConsumerCloses(node)) > before;
        }
      })();
      await traffic.flood(flooder, dm, plan.padBytes, plan.maxMessages, () => !closed && Date.now() < deadline);
      await watch;
      if (!closed) {
        reader.resumeReading();
        throw new Error(`the server did not close the slow consumer within ${plan.withinMs} ms`);
      }
    },
    async recover(): Promise<void> {
      slow?.resumeReading();
    },
  };
}
