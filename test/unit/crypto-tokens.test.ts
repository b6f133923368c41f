import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { TokenError, TokenService } from '../../src/crypto/tokens.js';

const key = randomBytes(32);
const uid = '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
const svc = new TokenService(key, 3600);
const t0 = new Date('2024-05-01T12:00:00Z');

async function rejects(p: Promise<unknown>, reason: 'invalid' | 'expired'): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof TokenError && e.reason === reason);
}

test('issue/verify round trip with reference-shaped claims', async () => {
  const { token, expires } = await svc.issue(uid, 0, t0);
  assert.equal(decodeProtectedHeader(token).alg, 'HS256');
  const claims = decodeJwt(token);
  assert.deepEqual(Object.keys(claims).sort(), ['exp', 'iat', 'iss', 'uid']);
  assert.equal(claims.iss, 'mvchat');
  assert.equal(claims.iat, t0.getTime() / 1000);
  assert.equal(claims.exp, t0.getTime() / 1000 + 3600);
  assert.equal(expires.getTime(), t0.getTime() + 3600_000);
  const v = await svc.verify(token, new Date(t0.getTime() + 1000));
  assert.deepEqual(v, { userId: uid, epoch: 0, issuedAt: claims.iat, expiresAt: claims.exp });
});

test('non-zero epoch travels as te', async () => {
  const { token } = await svc.issue(uid, 7, t0);
  assert.equal(decodeJwt(token).te, 7);
  assert.equal((await svc.verify(token, t0)).epoch, 7);
});

test('accepts a reference token signed by hand (other issuer, no te)', async () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = t0.getTime() / 1000;
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ uid, iss: 'other', exp: iat + 60, iat })}`;
  const token = `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  assert.deepEqual(await svc.verify(token, t0), { userId: uid, epoch: 0, issuedAt: iat, expiresAt: iat + 60 });
});

test('expired token → expired', async () => {
  const { token } = await svc.issue(uid, 0, t0);
  await rejects(svc.verify(token, new Date(t0.getTime() + 3601_000)), 'expired');
});

test('HS384, HS512 and alg none are refused', async () => {
  for (const alg of ['HS384', 'HS512']) {
    const token = await new SignJWT({ uid }).setProtectedHeader({ alg }).setIssuedAt(t0).setExpirationTime('1h').sign(key);
    await rejects(svc.verify(token, t0), 'invalid');
  }
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const exp = t0.getTime() / 1000 + 60;
  await rejects(svc.verify(`${b64({ alg: 'none' })}.${b64({ uid, exp })}.`, t0), 'invalid');
});

test('wrong key, tampering, garbage and missing uid are invalid', async () => {
  const { token } = await svc.issue(uid, 0, t0);
  await rejects(new TokenService(randomBytes(32), 3600).verify(token, t0), 'invalid');
  const [h, p, s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), uid: 'someone-else' })).toString('base64url');
  await rejects(svc.verify(`${h}.${forged}.${s}`, t0), 'invalid');
  await rejects(svc.verify(`${h}.${p}.${s!.slice(0, -2)}AA`, t0), 'invalid');
  for (const junk of ['', 'abc', 'a.b.c', token + 'x']) await rejects(svc.verify(junk, t0), 'invalid');
  const noUid = await new SignJWT({ sub: uid }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(t0).setExpirationTime('1h').sign(key);
  await rejects(svc.verify(noUid, t0), 'invalid');
  const numUid = await new SignJWT({ uid: 42 }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(t0).setExpirationTime('1h').sign(key);
  await rejects(svc.verify(numUid, t0), 'invalid');
});

test('a session token carries its session as `sid` and never outlives `notAfter`', async () => {
  const svc = new TokenService(Buffer.alloc(32, 7), 3600);
  const t0 = new Date('2030-01-01T00:00:00Z');
  const { token, expires } = await svc.issue('u1', 0, t0, { session: 's1', notAfter: new Date('2030-01-01T00:10:00Z') });
  assert.equal(expires.toISOString(), '2030-01-01T00:10:00.000Z');
  assert.equal((await svc.verify(token, t0)).session, 's1');
});
