import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OP_NAMES } from '../../src/protocol/op-names.js';
import { backends, withServer } from '../helpers/server.js';

/** Values of every JSON type, plus edge cases, for every field any op reads. */
const VALUES: unknown[] = [null, true, 0, -1, 1.5, 2 ** 31, -(2 ** 53), '', 'x', 'x'.repeat(5000), randomUUID(), 'not-a-uuid', [], [1], {}, { v: 1 }];
const FIELDS = [
  'conv',
  'user',
  'seq',
  'content',
  'what',
  'before',
  'after',
  'limit',
  'emoji',
  'action',
  'id',
  'desc',
  'secret',
  'scheme',
  'query',
  'forEveryone',
  'viewOnce',
  'viewOnceTTL',
  'replyTo',
  'nonce',
  'disappearingTTL',
  'blocked',
  'favorite',
  'muted',
  'private',
  'role',
  'noScreenshots',
  'create',
  'list',
  'revoke',
  'redeem',
  'add',
  'remove',
  'nickname',
  'email',
  'lang',
  'inviteCode',
  'login',
];

for (const backend of backends()) {
  test(`[${backend}] every op × every field × every JSON type: a clear 2xx/4xx reply with the id, never a 500 or a dropped socket`, () =>
    withServer(
      backend,
      async (s) => {
        const u = await s.user('fuzzer');
        const other = await s.user('fuzzed');
        const conv = (await u.client.request('dm', { user: other.id })).params.conv;
        await u.client.request('send', { conv, content: { v: 1, text: 'seed' } });
        let n = 0;
        const seen = new Map<number, number>();
        for (const op of OP_NAMES.filter((o) => o !== 'acc' && o !== 'login' && o !== 'typing')) {
          for (const field of FIELDS) {
            for (const value of VALUES) {
              const base: Record<string, unknown> = { conv, seq: 1, user: other.id, what: 'messages' };
              const r = await u.client.request(op, { ...base, [field]: value });
              n++;
              seen.set(r.code, (seen.get(r.code) ?? 0) + 1);
              assert.ok(r.code < 500, `${op}.${field}=${JSON.stringify(value).slice(0, 40)} → ${r.code} ${r.text}`);
              assert.ok(r.id, 'reply carries the id');
              assert.ok(!/error:|exception|sql|stack/i.test(r.text) || r.text === 'database error', `no internals: ${r.text}`);
            }
          }
        }
        assert.equal(u.client.ws.readyState, u.client.ws.OPEN);
        assert.ok(n > 5000);
        u.client.close();
        other.client.close();
      },
      { frameRate: 100_000 },
    ));
}
