// Key provider backed by files: <dir>/<ring>/v<N>.key, each 32 random bytes (base64). The highest
// version is current. In the embedded default missing rings are created on first use; in production
// (create=false) a missing key is an error, because a key made up on the spot would be lost with the pod.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { KeyProvider, WrappedKey } from './key-provider.js';

const IV = 12;
const TAG = 16;
const CURRENT_TTL_MS = 2000;

export class FileKeyProvider implements KeyProvider {
  readonly name = 'file';
  readonly #cache = new Map<string, Buffer>();
  /**
   * The current version per ring, re-read from disk at most every CURRENT_TTL_MS: sealing a small
   * message body must not cost a readdir. A rotation by another instance is picked up within that time.
   */
  readonly #current = new Map<string, { version: string; readAt: number }>();

  constructor(
    private readonly dir: string,
    private readonly create: boolean,
  ) {}

  async versions(ring: string): Promise<string[]> {
    this.#checkRing(ring);
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.dir, ring));
    } catch {
      names = [];
    }
    return names
      .map((n) => /^v(\d+)\.key$/.exec(n)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b)
      .map((n) => `v${n}`);
  }

  async currentVersion(ring: string): Promise<string> {
    const cached = this.#current.get(ring);
    if (cached && Date.now() - cached.readAt < CURRENT_TTL_MS) return cached.version;
    const versions = await this.versions(ring);
    const last = versions.at(-1);
    if (last) {
      this.#current.set(ring, { version: last, readAt: Date.now() });
      return last;
    }
    if (!this.create) throw new Error(`no key for ring ${ring} in ${this.dir}`);
    try {
      return await this.rotate(ring);
    } catch (err) {
      // Concurrent first uses of a ring race to create v1: the loser uses the winner's key.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const created = (await this.versions(ring)).at(-1);
      if (!created) throw err;
      this.#current.set(ring, { version: created, readAt: Date.now() });
      return created;
    }
  }

  async rotate(ring: string): Promise<string> {
    const versions = await this.versions(ring);
    const next = `v${versions.length === 0 ? 1 : Number((versions.at(-1) as string).slice(1)) + 1}`;
    const dir = path.join(this.dir, ring);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // 'wx': two instances rotating at once cannot overwrite each other's key.
    await fs.writeFile(path.join(dir, `${next}.key`), randomBytes(32).toString('base64'), {
      mode: 0o600,
      flag: 'wx',
    });
    this.#current.set(ring, { version: next, readAt: Date.now() });
    return next;
  }

  async wrap(ring: string, dataKey: Buffer): Promise<WrappedKey> {
    const version = await this.currentVersion(ring);
    const kek = await this.#key(ring, version);
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    cipher.setAAD(Buffer.from(`${ring}/${version}`));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { ring, version, wrapped: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  async unwrap({ ring, version, wrapped }: WrappedKey): Promise<Buffer> {
    const kek = await this.#key(ring, version);
    const decipher = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, IV));
    decipher.setAAD(Buffer.from(`${ring}/${version}`));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG));
    return Buffer.concat([decipher.update(wrapped.subarray(IV, wrapped.length - TAG)), decipher.final()]);
  }

  async #key(ring: string, version: string): Promise<Buffer> {
    this.#checkRing(ring);
    const id = `${ring}/${version}`;
    const cached = this.#cache.get(id);
    if (cached) return cached;
    if (!/^v\d+$/.test(version)) throw new Error(`bad key version ${version}`);
    const text = await fs.readFile(path.join(this.dir, ring, `${version}.key`), 'utf8');
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== 32) throw new Error(`key ${id} is not 32 bytes`);
    this.#cache.set(id, key);
    return key;
  }

  #checkRing(ring: string): void {
    if (!/^[A-Za-z0-9_-]+$/.test(ring)) throw new Error(`bad key ring name ${ring}`);
  }
}
