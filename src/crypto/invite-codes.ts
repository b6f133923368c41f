import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { gcmOpen, gcmSeal } from './content-cipher.js';

export const INVITE_CODE_PATTERN = /^[A-Za-z0-9_-]{10}$/;
export const INVITE_TTL_SECONDS = 7 * 24 * 3600;

const MAC_BYTES = 16;
const HEADER_BYTES = 8 + 4 + 1;
const MIN_TOKEN_BYTES = HEADER_BYTES + MAC_BYTES; // 29
const MIN_KEY_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type InviteVerification = { status: 'ok'; issuedAt: Date; inviterUsername: string; email: string } | { status: 'expired' | 'invalid' };

function checkKey(key: Buffer): void {
  if (key.length < MIN_KEY_BYTES) throw new Error(`invite key must be at least ${MIN_KEY_BYTES} bytes`);
}

function hmac(key: Buffer, data: Buffer | string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function createInviteToken(key: Buffer, inviterUsername: string, email: string, now = new Date()): { token: string; code: string } {
  checkKey(key);
  // Byte truncation like the reference, even if it splits a UTF-8 sequence.
  const name = Buffer.from(inviterUsername, 'utf8').subarray(0, 255);
  const header = Buffer.alloc(HEADER_BYTES);
  randomBytes(8).copy(header, 0);
  header.writeUInt32BE(Math.floor(now.getTime() / 1000) >>> 0, 8);
  header.writeUInt8(name.length, 12);
  const payload = Buffer.concat([header, name, Buffer.from(email, 'utf8')]);
  const token = Buffer.concat([payload, hmac(key, payload).subarray(0, MAC_BYTES)]).toString('base64url');
  return { token, code: inviteCodeFor(key, token) };
}

export function inviteCodeFor(key: Buffer, token: string): string {
  checkKey(key);
  return hmac(key, Buffer.from(token, 'ascii')).subarray(0, 8).toString('base64url').slice(0, 10);
}

export function verifyInviteToken(key: Buffer, token: string, now = new Date()): InviteVerification {
  checkKey(key);
  if (!BASE64URL.test(token)) return { status: 'invalid' };
  const raw = Buffer.from(token, 'base64url');
  // Buffer decoding is lenient; insist on the canonical encoding.
  if (raw.toString('base64url') !== token || raw.length < MIN_TOKEN_BYTES) return { status: 'invalid' };
  const payload = raw.subarray(0, raw.length - MAC_BYTES);
  const mac = raw.subarray(raw.length - MAC_BYTES);
  if (!timingSafeEqual(mac, hmac(key, payload).subarray(0, MAC_BYTES))) return { status: 'invalid' };
  const issued = payload.readUInt32BE(8);
  const nameLen = payload.readUInt8(12);
  if (HEADER_BYTES + nameLen > payload.length) return { status: 'invalid' };
  if (Math.floor(now.getTime() / 1000) - issued > INVITE_TTL_SECONDS) return { status: 'expired' };
  return {
    status: 'ok',
    issuedAt: new Date(issued * 1000),
    inviterUsername: payload.subarray(HEADER_BYTES, HEADER_BYTES + nameLen).toString('utf8'),
    email: payload.subarray(HEADER_BYTES + nameLen).toString('utf8'),
  };
}

/** AES-256-GCM with the first 32 bytes of K; padded standard base64 (invite_codes.token). */
export function sealInviteToken(key: Buffer, token: string): string {
  checkKey(key);
  return gcmSeal(key.subarray(0, 32), Buffer.from(token, 'utf8')).toString('base64');
}

export function openInviteToken(key: Buffer, sealed: string): string | null {
  checkKey(key);
  if (!BASE64_PADDED.test(sealed)) return null;
  const plain = gcmOpen(key.subarray(0, 32), Buffer.from(sealed, 'base64'));
  return plain ? plain.toString('utf8') : null;
}
