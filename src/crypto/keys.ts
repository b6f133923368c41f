import { randomBytes } from 'node:crypto';

// Standard alphabet, padding mandatory (length a multiple of 4).
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with mandatory padding (RFC 4648 §4), as the protocol's secrets and keys use. */
export function isStrictBase64(text: string): boolean {
  return STRICT_BASE64.test(text);
}

/** Decodes a base64 key setting; throws an Error naming the setting (never the value). */
export function decodeKey(base64: string, name: string, minBytes: number): Buffer {
  const text = base64.trim();
  if (text === '' || !STRICT_BASE64.test(text)) {
    throw new Error(`${name} must be standard base64 with padding`);
  }
  const key = Buffer.from(text, 'base64');
  if (key.length < minBytes) {
    throw new Error(`${name} must decode to at least ${minBytes} bytes (got ${key.length})`);
  }
  return key;
}

export function generateKey(bytes = 32): string {
  return randomBytes(bytes).toString('base64');
}
