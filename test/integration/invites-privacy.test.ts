import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startServer, backends } from '../helpers/server.js';
import { eventually, outboxMails } from '../helpers/mail-capture.js';

/** A logger whose lines the test can read. */
function capturedLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

for (const backend of backends()) {
  test(`[${backend}] creating an invite answers the same for known and unknown addresses; logs mask them`, async () => {
    const { logger, lines } = capturedLogger();
    const s = await startServer(backend, {}, { logger });
    try {
      const dana = await s.user();
      const known = await s.user();
      assert.equal((await known.client.request('acc', { user: 'me', email: 'known.person@example.org' })).code, 200);
      const a = await dana.client.request('invite', { create: { email: 'known.person@example.org', name: 'K' } });
      const b = await dana.client.request('invite', { create: { email: 'nobody.here@example.org', name: 'K' } });
      const shape = (c: any) => ({ code: c.code, text: c.text, keys: Object.keys(c.params).sort(), name: c.params.name, codeLen: c.params.code.length });
      assert.deepEqual(shape(a), shape(b));
      assert.equal(a.code, 201);
      // Both mails go out (to the outbox here): nothing differs for the requester to observe.
      await eventually(() => (outboxMails(s.config.dataDir).length === 2 ? true : undefined));
      await eventually(() => (lines.filter((l) => l.includes('mail written to outbox')).length === 2 ? true : undefined));
      const all = lines.join('\n');
      assert.ok(!all.includes('known.person@example.org') && !all.includes('nobody.here@example.org'), 'no address in clear in the logs');
      assert.ok(all.includes('k***@e***.org') && all.includes('n***@e***.org'), 'masked addresses are logged');
      dana.client.close();
      known.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] invite creation is rate-limited per user`, async () => {
    const s = await startServer(backend, { inviteRate: 2 });
    try {
      const dana = await s.user();
      const eli = await s.user();
      for (let i = 0; i < 2; i++) assert.equal((await dana.client.request('invite', { create: { email: `p${i}@example.org` } })).code, 201);
      const over = await dana.client.request('invite', { create: { email: 'p3@example.org' } });
      assert.deepEqual([over.code, over.text, over.id], [429, 'too many invites', over.id]);
      assert.ok(over.id);
      assert.equal((await eli.client.request('invite', { create: { email: 'p4@example.org' } })).code, 201, 'the limit is per user');
      const list = await dana.client.request('invite', { list: true });
      assert.equal(list.params.invites.length, 2, 'the refused one was not stored');
      dana.client.close();
      eli.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] bad invite input: addresses, header injection, long names`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const invalid: unknown[] = [
        {},
        { email: '' },
        { email: 'nope' },
        { email: 'a@b' },
        { email: 'a b@example.org' },
        { email: 'eli@example.org\r\nBcc: evil@example.org' },
        { email: 'Eli <eli@example.org>\nBcc: evil@example.org' },
        { email: 'eli@example.org', name: 'Eli\r\nBcc: evil@example.org' },
        { email: 'eli@example.org', name: 'Eli\u0007' },
        { email: `${'x'.repeat(250)}@example.org` },
      ];
      for (const create of invalid) {
        const r = await dana.client.request('invite', { create });
        assert.deepEqual([r.code, r.text], [400, 'invalid email address'], JSON.stringify(create));
      }
      const long = await dana.client.request('invite', { create: { email: 'eli@example.org', name: 'n'.repeat(129) } });
      assert.deepEqual([long.code, long.text], [400, 'invite name too long']);
      const huge = await dana.client.request('invite', { create: { email: 'e'.repeat(600) } });
      assert.deepEqual([huge.code, huge.text], [400, 'malformed message']);
      const okName = await dana.client.request('invite', { create: { email: 'eli@example.org', name: `  ${'n'.repeat(128)}  ` } });
      assert.equal(okName.code, 201);
      assert.equal(okName.params.name, 'n'.repeat(128), 'trimmed');
      const list = await dana.client.request('invite', { list: true });
      assert.equal(list.params.invites.length, 1, 'nothing stored for refused requests');
      dana.client.close();
    } finally {
      await s.close();
    }
  });
}
