// Where region keys (key-encryption keys) live. Each key ring (a region, or 'control' for the
// provider's own secrets) has numbered versions; new data keys are wrapped by the current version,
// old versions stay available to unwrap until everything is re-wrapped. Cloud KMS providers
// (AWS KMS here; Google Cloud KMS and OCI Vault as described in docs/content-and-retention.md)
// implement the same calls.
export interface WrappedKey {
  ring: string;
  version: string;
  wrapped: Buffer;
}

export interface KeyProvider {
  readonly name: string;
  currentVersion(ring: string): Promise<string>;
  wrap(ring: string, dataKey: Buffer): Promise<WrappedKey>;
  unwrap(key: WrappedKey): Promise<Buffer>;
  /** Makes a new version current (rotation); returns it. */
  rotate(ring: string): Promise<string>;
  /** Versions that exist for a ring, oldest first. */
  versions(ring: string): Promise<string[]>;
  /**
   * Optional: a fresh data key and its wrapped form in one call (a KMS's GenerateDataKey, whose
   * random source is the KMS's own). Without it, the envelope draws the key locally and wraps it.
   */
  generateDataKey?(ring: string): Promise<{ plaintext: Buffer; wrapped: WrappedKey }>;
}
