import type { Readable } from 'node:stream';

/** An inclusive byte range, already checked against the object's size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  size: number;
  modified: Date;
}

/**
 * Where file bytes live, keyed by content (SHA-256 hex): identical uploads
 * share one object. Keys are produced by the server, never taken from a
 * request; an implementation refuses any key that is not a hash.
 */
export interface FileStorage {
  /** A fresh path for an incoming upload, on the same volume as the objects. */
  tempPath(): string;
  /** Moves a complete temp file in under `key`; when the object already exists the temp file is just dropped. */
  put(tempPath: string, key: string): Promise<void>;
  /** Size and time of an object, null when it does not exist (or the key is not valid). */
  stat(key: string): Promise<StoredObject | null>;
  /** A stream of the object's bytes (or of one range of them). */
  open(key: string, range?: ByteRange): Readable;
  /** Runs `fn` with a local file path holding the object (for decoders that need to seek). */
  withLocalPath<T>(key: string, fn: (path: string) => Promise<T>): Promise<T>;
  remove(key: string): Promise<void>;
}
