import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as argon2 from 'argon2';
import { hashPassword, verifyPassword } from '../../src/crypto/passwords.js';

const LAYOUT = /^\$argon2id\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

test('hash has the exact $argon2id$<salt>$<hash> layout, unpadded base64', async () => {
  const stored = await hashPassword('correct horse');
  const m = LAYOUT.exec(stored);
  assert.ok(m, stored);
  assert.equal(m[1]!.length, 22);
  assert.equal(m[2]!.length, 43);
  assert.equal(Buffer.from(m[1]!, 'base64').length, 16);
  assert.equal(Buffer.from(m[2]!, 'base64').length, 32);
  assert.ok(!stored.includes('='));
});

test('round trip, wrong password, fresh salt each time', async () => {
  const a = await hashPassword('pässwörd 🔑');
  const b = await hashPassword('pässwörd 🔑');
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('pässwörd 🔑', a), true);
  assert.equal(await verifyPassword('pässwörd 🔑', b), true);
  assert.equal(await verifyPassword('passwörd 🔑', a), false);
  assert.equal(await verifyPassword('', a), false);
});

test('parameters match §7.3 (independent recomputation)', async () => {
  const stored = await hashPassword('secret123');
  const [, saltB64, hashB64] = LAYOUT.exec(stored)!;
  const raw = await argon2.hash('secret123', {
    type: argon2.argon2id,
    timeCost: 1,
    memoryCost: 65536,
    parallelism: 4,
    hashLength: 32,
    version: 0x13,
    raw: true,
    salt: Buffer.from(saltB64!, 'base64'),
  });
  assert.equal(raw.toString('base64').replace(/=+$/, ''), hashB64);
});

test('any other layout is rejected without throwing', async () => {
  const good = await hashPassword('secret123');
  const [, salt, hash] = LAYOUT.exec(good)!;
  const phc = await argon2.hash('secret123');
  const bad = [
    '',
    'secret123',
    phc,
    `$argon2i$${salt}$${hash}`,
    `$argon2id$${salt}==$${hash}=`,
    `$argon2id$${salt}$${hash}$`,
    `$argon2id$v=19$${salt}$${hash}`,
    `$argon2id$${salt}$${hash!.slice(0, 42)}`,
    `$argon2id$${salt!.slice(0, 21)}$${hash}`,
    `$argon2id$${salt}$${hash}\n`,
    `$argon2id$${salt!.replace(/./, '-')}$${hash}`,
  ];
  for (const s of bad) assert.equal(await verifyPassword('secret123', s), false, s);
});

test('tampered hash fails', async () => {
  const good = await hashPassword('secret123');
  const last = good.at(-1) === 'A' ? 'B' : 'A';
  const tampered = good.slice(0, -2) + last + good.at(-1);
  assert.equal(await verifyPassword('secret123', tampered), false);
});
