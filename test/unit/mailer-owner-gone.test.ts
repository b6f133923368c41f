import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Mailer } from '../../src/mail/mailer.js';

test('mail queued for an account deleted before it goes out is dropped; other mail is sent', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mvchat-mail-'));
  const jobs: Promise<void>[] = [];
  const mailer = new Mailer({
    config: { smtpUrl: null, mailFrom: 'mvchat <noreply@example.org>', dataDir },
    log: pino({ level: 'silent' }),
    background: (_name, work) => void jobs.push(work()),
    failed: () => assert.fail('no mail should fail'),
    ownerGone: async (userId) => userId === 'deleted-user',
  });
  try {
    const mail = { to: 'her@example.org', subject: 's', text: 't', html: '<p>t</p>' };
    mailer.send('verification', mail, 'deleted-user');
    await Promise.all(jobs);
    assert.equal(existsSync(mailer.outboxDir), false, 'nothing written for the deleted account');
    mailer.send('verification', mail, 'live-user');
    mailer.send('invite', mail);
    await Promise.all(jobs);
    assert.equal(readdirSync(mailer.outboxDir).length, 2);
  } finally {
    mailer.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
