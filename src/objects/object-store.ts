// Object storage for content (recordings, MMS media, cold exports), one bucket or prefix per region.
// Objects are always sealed (envelope-encrypted) before they get here; the store never sees plaintext.
import type { Readable } from 'node:stream';

export interface ObjectStore {
  readonly name: string;
  put(region: string, key: string, body: Buffer): Promise<void>;
  /** Writes a stream of unknown length; a reader never sees a partial object. Returns bytes written. */
  putStream(region: string, key: string, body: Readable): Promise<number>;
  /** Throws ObjectNotFound for a missing object. */
  get(region: string, key: string): Promise<Buffer>;
  /** Throws ObjectNotFound for a missing object (before any byte is read). */
  getStream(region: string, key: string): Promise<Readable>;
  /** Up to `length` bytes from `start` (fewer at the end of the object): headers without the body. */
  getRange(region: string, key: string, start: number, length: number): Promise<Buffer>;
  /** Size in bytes, or undefined for a missing object. */
  size(region: string, key: string): Promise<number | undefined>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(region: string, key: string): Promise<void>;
  exists(region: string, key: string): Promise<boolean>;
  /** Keys under a prefix, in lexicographic order. */
  list(region: string, prefix: string): AsyncIterable<string>;
}

export class ObjectNotFound extends Error {
  override name = 'ObjectNotFound';
  constructor(
    readonly region: string,
    readonly key: string,
  ) {
    super(`object ${region}/${key} not found`);
  }
}

/** Object keys are paths of safe segments; nothing can climb out of its region. */
export function checkKey(key: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(key))
    throw new Error(`bad object key ${JSON.stringify(key)}`);
}
