import { type CipherGCMTypes, createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** First 4 bytes of SHA-256(key) as a signed 32-bit BE int, so it fits a PostgreSQL INTEGER. */
export function keyId(key: Buffer): number {
  return createHash('sha256').update(key).digest().readInt32BE(0);
}

function algorithm(key: Buffer): CipherGCMTypes {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new Error(`content key must be 16, 24 or 32 bytes (got ${key.length})`);
  }
  return `aes-${key.length * 8}-gcm` as CipherGCMTypes;
}

// Random nonces are cut from a pool refilled 6 KiB at a time (one RNG call per 512 messages); each slice is used once.
let noncePool = Buffer.alloc(0);
let nonceAt = 0;

function freshNonce(): Buffer {
  if (nonceAt + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_BYTES * 512);
    nonceAt = 0;
  }
  nonceAt += NONCE_BYTES;
  return noncePool.subarray(nonceAt - NONCE_BYTES, nonceAt);
}

/** AES-GCM, layout nonce ‖ ciphertext ‖ tag, no AAD (§8.2). */
export function gcmSeal(key: Buffer, plain: Buffer): Buffer {
  const nonce = freshNonce();
  const cipher = createCipheriv(algorithm(key), key, nonce, { authTagLength: TAG_BYTES });
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, ct, cipher.getAuthTag()]);
}

/** Inverse of gcmSeal; null when the blob is malformed or does not authenticate. */
export function gcmOpen(key: Buffer, blob: Buffer): Buffer | null {
  if (blob.length < NONCE_BYTES + TAG_BYTES) return null;
  try {
    const nonce = blob.subarray(0, NONCE_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const decipher = createDecipheriv(algorithm(key), key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(NONCE_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

interface Entry {
  id: number;
  key: Buffer;
}

export class ContentCipher {
  private readonly entries: Entry[];
  private readonly byId = new Map<number, Buffer>();

  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error('at least one content key is required');
    this.entries = keys.map((key) => {
      algorithm(key);
      const copy = Buffer.from(key);
      return { id: keyId(copy), key: copy };
    });
    for (const e of this.entries) if (!this.byId.has(e.id)) this.byId.set(e.id, e.key);
  }

  get currentKeyId(): number {
    return this.current().id;
  }

  encrypt(plain: Buffer): { keyId: number; blob: Buffer } {
    const { id, key } = this.current();
    return { keyId: id, blob: gcmSeal(key, plain) };
  }

  decrypt(blob: Buffer, keyId: number | null): Buffer | null {
    const known = keyId === null ? undefined : this.byId.get(keyId);
    if (known) return gcmOpen(known, blob);
    // Reference rows carry no key id (NULL): try every key, newest first.
    for (const { key } of this.entries) {
      const plain = gcmOpen(key, blob);
      if (plain) return plain;
    }
    return null;
  }

  private current(): Entry {
    const first = this.entries[0];
    if (!first) throw new Error('no content key');
    return first;
  }
}
