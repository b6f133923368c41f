import { basicSecret, connect } from '../client/index.js';
import type { Account } from './fault-client.js';

const PASSWORD = 'fault-suite-pass';

/** A new account, signed up over a socket of its own that is closed again. */
export async function signUp(url: string, name: string): Promise<Account> {
  const c = await connect(url, { timeoutMs: 20_000 });
  try {
    const r = await c.request('acc', { user: 'new', scheme: 'basic', secret: basicSecret(name, PASSWORD), login: true, desc: { public: { fn: name } } });
    if (r.code !== 201) throw new Error(`sign-up of ${name} answered ${r.code} ${r.text}`);
    return { id: String(r.params?.user), name, token: String(r.params?.token) };
  } finally {
    c.close();
  }
}

/** Runs `fn` over `items` with at most `width` at a time (sign-ups hash passwords). */
export async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
