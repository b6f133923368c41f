import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as argon2 from 'argon2';

// Fixed parameters (§7.3): the stored layout carries no parameters, so they can never change.
const PARAMS = {
  type: argon2.argon2id,
  timeCost: 1,
  memoryCost: 65536,
  parallelism: 4,
  hashLength: 32,
  version: 0x13,
  raw: true,
} as const;

const SALT_BYTES = 16;
// 16-byte salt → 22 chars, 32-byte hash → 43 chars of unpadded standard base64.
const LAYOUT = /^\$argon2id\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

async function derive(password: string, salt: Buffer): Promise<Buffer> {
  return argon2.hash(password, { ...PARAMS, salt });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt);
  return `$argon2id$${b64(salt)}$${b64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  try {
    const m = LAYOUT.exec(stored);
    if (!m || m[1] === undefined || m[2] === undefined) return false;
    const salt = Buffer.from(m[1], 'base64');
    const expected = Buffer.from(m[2], 'base64');
    if (salt.length !== SALT_BYTES || expected.length !== PARAMS.hashLength) return false;
    const actual = await derive(password, salt);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}
