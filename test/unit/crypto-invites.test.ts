import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { INVITE_CODE_PATTERN, createInviteToken, inviteCodeFor, openInviteToken, sealInviteToken, verifyInviteToken } from '../../src/crypto/invite-codes.js';

const K = randomBytes(48);
const t0 = new Date('2024-05-01T12:00:00Z');
const day = 86_400_000;

test('token layout and round trip', () => {
  const { token, code } = createInviteToken(K, 'alice', 'bob@example.com', t0);
  assert.match(token, /^[A-Za-z0-9_-]+$/);
  assert.match(code, INVITE_CODE_PATTERN);
  const raw = Buffer.from(token, 'base64url');
  assert.equal(raw.length, 8 + 4 + 1 + 5 + 15 + 16);
  assert.equal(raw.readUInt32BE(8), t0.getTime() / 1000);
  assert.equal(raw[12], 5);
  assert.equal(raw.subarray(13, 18).toString(), 'alice');
  const payload = raw.subarray(0, raw.length - 16);
  assert.deepEqual(raw.subarray(-16), createHmac('sha256', K).update(payload).digest().subarray(0, 16));
  assert.deepEqual(verifyInviteToken(K, token, new Date(t0.getTime() + day)), {
    status: 'ok',
    issuedAt: t0,
    inviterUsername: 'alice',
    email: 'bob@example.com',
  });
});

test('known-answer: token assembled by hand verifies, code matches hand HMAC', () => {
  const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
  const payload = Buffer.concat([
    Buffer.from('0102030405060708', 'hex'),
    Buffer.from('66323d80', 'hex'),
    Buffer.from([3]),
    Buffer.from('bob'),
    Buffer.from('c@d.e'),
  ]);
  const mac = createHmac('sha256', key).update(payload).digest().subarray(0, 16);
  const token = Buffer.concat([payload, mac]).toString('base64url');
  const code = createHmac('sha256', key).update(token, 'ascii').digest().subarray(0, 8).toString('base64url').slice(0, 10);
  assert.equal(inviteCodeFor(key, token), code);
  const v = verifyInviteToken(key, token, new Date(0x66323d80 * 1000 + day));
  assert.deepEqual(v, { status: 'ok', issuedAt: new Date(0x66323d80 * 1000), inviterUsername: 'bob', email: 'c@d.e' });
});

test('username is truncated to 255 bytes', () => {
  const { token } = createInviteToken(K, 'u'.repeat(300), 'e@x.y', t0);
  const v = verifyInviteToken(K, token, t0);
  assert.equal(v.status === 'ok' && v.inviterUsername, 'u'.repeat(255));
  assert.equal(v.status === 'ok' && v.email, 'e@x.y');
});

test('expiry after 7 days', () => {
  const { token } = createInviteToken(K, 'alice', 'bob@example.com', t0);
  assert.equal(verifyInviteToken(K, token, new Date(t0.getTime() + 7 * day)).status, 'ok');
  assert.equal(verifyInviteToken(K, token, new Date(t0.getTime() + 7 * day + 1000)).status, 'expired');
});

test('tampered, wrong-key, short and garbage tokens are invalid', () => {
  const { token } = createInviteToken(K, 'alice', 'bob@example.com', t0);
  const raw = Buffer.from(token, 'base64url');
  raw[20]! ^= 1;
  assert.equal(verifyInviteToken(K, raw.toString('base64url'), t0).status, 'invalid');
  assert.equal(verifyInviteToken(randomBytes(32), token, t0).status, 'invalid');
  assert.equal(verifyInviteToken(K, randomBytes(28).toString('base64url'), t0).status, 'invalid');
  for (const junk of ['', 'not a token!', token + '=', token.replace(/.$/, '+')]) {
    assert.equal(verifyInviteToken(K, junk, t0).status, 'invalid', junk);
  }
  // Name length byte pointing past the payload, correctly MACed.
  const payload = Buffer.concat([randomBytes(8), Buffer.from([0, 0, 0, 1]), Buffer.from([200]), Buffer.from('x')]);
  const bad = Buffer.concat([payload, createHmac('sha256', K).update(payload).digest().subarray(0, 16)]);
  assert.equal(verifyInviteToken(K, bad.toString('base64url'), t0).status, 'invalid');
});

test('seal/open: AES-256-GCM with first 32 bytes of K, padded base64', () => {
  const { token } = createInviteToken(K, 'alice', 'bob@example.com', t0);
  const sealed = sealInviteToken(K, token);
  assert.match(sealed, /^[A-Za-z0-9+/]+={0,2}$/);
  assert.equal(sealed.length % 4, 0);
  assert.equal(Buffer.from(sealed, 'base64').length, 12 + token.length + 16);
  assert.equal(openInviteToken(K, sealed), token);
  // Reference-style row sealed by hand.
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', K.subarray(0, 32), nonce);
  const blob = Buffer.concat([nonce, c.update(token), c.final(), c.getAuthTag()]).toString('base64');
  assert.equal(openInviteToken(K, blob), token);
  assert.equal(openInviteToken(randomBytes(32), sealed), null);
  const t = Buffer.from(sealed, 'base64');
  t[15]! ^= 1;
  assert.equal(openInviteToken(K, t.toString('base64')), null);
  assert.equal(openInviteToken(K, 'garbage'), null);
});

test('keys shorter than 32 bytes are refused', () => {
  assert.throws(() => createInviteToken(randomBytes(31), 'a', 'b'));
});
