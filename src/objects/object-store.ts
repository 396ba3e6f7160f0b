// Object storage for content (recordings, MMS media), one bucket or prefix per region. Objects are
// always sealed (envelope-encrypted) before they get here; the store never sees plaintext.
export interface ObjectStore {
  readonly name: string;
  put(region: string, key: string, body: Buffer): Promise<void>;
  /** Throws ObjectNotFound for a missing object. */
  get(region: string, key: string): Promise<Buffer>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(region: string, key: string): Promise<void>;
  exists(region: string, key: string): Promise<boolean>;
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
