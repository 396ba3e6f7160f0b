// Where region keys (key-encryption keys) live. Each key ring (a region, or 'control' for the
// provider's own secrets) has numbered versions; new data keys are wrapped by the current version,
// old versions stay available to unwrap until everything is re-wrapped. Cloud KMS providers
// (AWS KMS, Google Cloud KMS, OCI Vault) implement the same three calls.
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
}
