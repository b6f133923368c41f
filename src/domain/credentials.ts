import { fail } from '../protocol/errors.js';
import { isStrictBase64 } from '../crypto/keys.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a basic `secret`: padded standard base64 of "name:password", split
 * at the first colon (PROTOCOL §7.1).
 */
export function decodeBasicSecret(secret: string): { name: string; password: string } {
  if (!isStrictBase64(secret)) fail('invalidSecretEncoding');
  let text: string;
  try {
    text = utf8.decode(Buffer.from(secret, 'base64'));
  } catch {
    return fail('invalidSecretEncoding');
  }
  if (text.includes('\u0000')) fail('invalidSecretEncoding');
  const colon = text.indexOf(':');
  if (colon < 0) fail('invalidSecretFormat');
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}
