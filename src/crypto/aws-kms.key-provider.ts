// Key provider on AWS KMS. Each key ring version is a symmetric KMS key named by an alias:
//
//   <aliasPrefix><ring>/v<N>      e.g. alias/routing-core/EURO/v2
//
// The highest N is current. Versions live in KMS itself (no local state), so every instance sees the
// same list; rotate() creates the next key and its alias (operators may equally create them with
// Terraform and let the daemon discover them). Data keys come from KMS GenerateDataKey and are
// unwrapped with Decrypt; the encryption context {ring, version} binds a wrapped key to its place,
// as the file provider's AAD does. Each ring may live in its own AWS region (data residency).
import {
  KMSClient,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListAliasesCommand,
} from '@aws-sdk/client-kms';
import type { KeyProvider, WrappedKey } from './key-provider.js';

export interface AwsKmsOptions {
  /** AWS region used for rings without an entry in ringRegions. */
  region: string;
  ringRegions?: Record<string, string>;
  /** Custom endpoint (tests, VPC endpoints); empty for AWS's own. */
  endpoint?: string;
  aliasPrefix: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long a ring's version list is trusted before KMS is asked again. */
  versionsTtlMs: number;
  now?: () => number;
}

const VERSION_RE = /^v(\d+)$/;

export class AwsKmsKeyProvider implements KeyProvider {
  readonly name = 'aws-kms';
  readonly #clients = new Map<string, KMSClient>();
  readonly #versions = new Map<string, { list: string[]; at: number }>();
  readonly #now: () => number;

  constructor(private readonly opts: AwsKmsOptions) {
    this.#now = opts.now ?? Date.now;
  }

  #client(ring: string): KMSClient {
    const region = this.opts.ringRegions?.[ring] ?? this.opts.region;
    let client = this.#clients.get(region);
    if (!client) {
      client = new KMSClient({
        region,
        maxAttempts: 3,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      });
      this.#clients.set(region, client);
    }
    return client;
  }

  #alias(ring: string, version: string): string {
    checkRing(ring);
    if (!VERSION_RE.test(version)) throw new Error(`bad key version ${version}`);
    return `${this.opts.aliasPrefix}${ring}/${version}`;
  }

  async versions(ring: string): Promise<string[]> {
    checkRing(ring);
    const cached = this.#versions.get(ring);
    if (cached && this.#now() - cached.at < this.opts.versionsTtlMs) return cached.list;
    const prefix = `${this.opts.aliasPrefix}${ring}/`;
    const found: number[] = [];
    let marker: string | undefined;
    do {
      const page = await this.#client(ring).send(
        new ListAliasesCommand({ Limit: 100, ...(marker ? { Marker: marker } : {}) }),
      );
      for (const a of page.Aliases ?? []) {
        if (!a.AliasName?.startsWith(prefix) || !a.TargetKeyId) continue;
        const m = VERSION_RE.exec(a.AliasName.slice(prefix.length));
        if (m) found.push(Number(m[1]));
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    const list = found.sort((a, b) => a - b).map((n) => `v${n}`);
    this.#versions.set(ring, { list, at: this.#now() });
    return list;
  }

  async currentVersion(ring: string): Promise<string> {
    const last = (await this.versions(ring)).at(-1);
    if (!last)
      throw new Error(`no KMS key for ring ${ring}: create alias ${this.opts.aliasPrefix}${ring}/v1`);
    return last;
  }

  async rotate(ring: string): Promise<string> {
    this.#versions.delete(ring);
    const versions = await this.versions(ring);
    const next = `v${versions.length === 0 ? 1 : Number(VERSION_RE.exec(versions.at(-1) as string)?.[1]) + 1}`;
    const client = this.#client(ring);
    const key = await client.send(
      new CreateKeyCommand({
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        Description: `routing-core key ring ${ring} ${next}`,
        Tags: [
          { TagKey: 'routing-core:ring', TagValue: ring },
          { TagKey: 'routing-core:version', TagValue: next },
        ],
      }),
    );
    const keyId = key.KeyMetadata?.KeyId;
    if (!keyId) throw new Error('KMS CreateKey returned no key id');
    // CreateAlias fails when the alias exists: two instances rotating at once cannot both win.
    await client.send(new CreateAliasCommand({ AliasName: this.#alias(ring, next), TargetKeyId: keyId }));
    this.#versions.delete(ring);
    return next;
  }

  async generateDataKey(ring: string): Promise<{ plaintext: Buffer; wrapped: WrappedKey }> {
    const version = await this.currentVersion(ring);
    const out = await this.#client(ring).send(
      new GenerateDataKeyCommand({
        KeyId: this.#alias(ring, version),
        KeySpec: 'AES_256',
        EncryptionContext: { ring, version },
      }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return {
      plaintext: Buffer.from(out.Plaintext),
      wrapped: { ring, version, wrapped: Buffer.from(out.CiphertextBlob) },
    };
  }

  async wrap(ring: string, dataKey: Buffer): Promise<WrappedKey> {
    const version = await this.currentVersion(ring);
    const out = await this.#client(ring).send(
      new EncryptCommand({
        KeyId: this.#alias(ring, version),
        Plaintext: dataKey,
        EncryptionContext: { ring, version },
      }),
    );
    if (!out.CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext');
    return { ring, version, wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async unwrap({ ring, version, wrapped }: WrappedKey): Promise<Buffer> {
    const out = await this.#client(ring).send(
      new DecryptCommand({
        // Naming the key makes KMS refuse a blob wrapped by any other key.
        KeyId: this.#alias(ring, version),
        CiphertextBlob: wrapped,
        EncryptionContext: { ring, version },
      }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(out.Plaintext);
  }

  close(): void {
    for (const c of this.#clients.values()) c.destroy();
  }
}

function checkRing(ring: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(ring)) throw new Error(`bad key ring name ${ring}`);
}
