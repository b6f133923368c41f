import { fail } from '../../protocol/errors.js';
import type { Logger } from '../../logger.js';
import type { Deps } from '../../runtime/deps.js';

/**
 * Encrypts message content for storage. The dispatcher parsed the frame, so
 * the stored text is the content re-serialized (whitespace normalized).
 */
export function sealContent(deps: Deps, log: Logger, content: unknown): { keyId: number; blob: Buffer } {
  try {
    return deps.cipher.encrypt(Buffer.from(JSON.stringify(content), 'utf8'));
  } catch (err) {
    log.error({ err }, 'content encryption failed');
    return fail('encryptionFailed');
  }
}
