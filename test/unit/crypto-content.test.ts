import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CipherGCMTypes, createCipheriv, createHash, randomBytes } from 'node:crypto';
import { ContentCipher, keyId } from '../../src/crypto/content-cipher.js';
import { decodeKey, generateKey } from '../../src/crypto/keys.js';

/** What the reference server writes: nonce ‖ ciphertext ‖ tag, no key id. */
function referenceSeal(key: Buffer, plain: Buffer): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, nonce);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, ct, c.getAuthTag()]);
}

const plain = Buffer.from('{"text": "hello  world"}');

test('keyId is the first 4 bytes of SHA-256 as signed BE int32', () => {
  const key = Buffer.alloc(32, 0xab);
  const digest = createHash('sha256').update(key).digest();
  assert.equal(keyId(key), digest.readInt32BE(0));
  const ids = Array.from({ length: 64 }, () => keyId(randomBytes(32)));
  assert.ok(ids.every((id) => Number.isInteger(id) && id >= -(2 ** 31) && id < 2 ** 31));
});

test('round trip and layout for AES-128/192/256', () => {
  for (const len of [16, 24, 32]) {
    const key = randomBytes(len);
    const c = new ContentCipher([key]);
    const { keyId: id, blob } = c.encrypt(plain);
    assert.equal(id, keyId(key));
    assert.equal(blob.length, 12 + plain.length + 16);
    assert.deepEqual(c.decrypt(blob, id), plain);
    assert.deepEqual(c.decrypt(referenceSeal(key, plain), null), plain);
    assert.deepEqual(c.decrypt(referenceSeal(key, Buffer.alloc(0)), null), Buffer.alloc(0));
  }
});

test('tampering, wrong key and short blobs give null', () => {
  const c = new ContentCipher([randomBytes(32)]);
  const { keyId: id, blob } = c.encrypt(plain);
  for (const i of [0, 12, blob.length - 1]) {
    const t = Buffer.from(blob);
    t[i]! ^= 1;
    assert.equal(c.decrypt(t, id), null);
  }
  assert.equal(c.decrypt(blob.subarray(0, 27), id), null);
  assert.equal(c.decrypt(Buffer.from('plain old unencrypted row'), null), null);
  assert.equal(new ContentCipher([randomBytes(32)]).decrypt(blob, null), null);
});

test('rotation: new rows use keys[0], old key still decrypts, null id tries all', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(24);
  const before = new ContentCipher([oldKey]).encrypt(plain);
  const c = new ContentCipher([newKey, oldKey]);
  const after = c.encrypt(plain);
  assert.equal(after.keyId, keyId(newKey));
  assert.notEqual(after.keyId, before.keyId);
  assert.deepEqual(c.decrypt(before.blob, before.keyId), plain);
  assert.deepEqual(c.decrypt(after.blob, after.keyId), plain);
  assert.deepEqual(c.decrypt(referenceSeal(oldKey, plain), null), plain);
  assert.deepEqual(c.decrypt(before.blob, 12345), plain); // unknown id → try all
  assert.equal(c.decrypt(before.blob, after.keyId), null); // known id uses only that key
});

test('constructor validation', () => {
  assert.throws(() => new ContentCipher([]));
  assert.throws(() => new ContentCipher([randomBytes(20)]));
  assert.throws(() => new ContentCipher([randomBytes(32), randomBytes(31)]));
});

test('decodeKey / generateKey', () => {
  const k = generateKey();
  assert.equal(decodeKey(k, 'auth.token.key', 32).length, 32);
  assert.equal(decodeKey(generateKey(24), 'x', 16).length, 24);
  assert.throws(() => decodeKey(generateKey(16), 'database.encryption_key', 24), /database\.encryption_key/);
  for (const bad of ['', k.replace(/=+$/, 'A').slice(0, -1), '-' + k.slice(1), '!!!!', 'abc', generateKey(31).replace(/=/g, '')]) {
    assert.throws(() => decodeKey(bad, 'auth.token.key', 1), /auth\.token\.key/, bad);
  }
});
