// Object store on the local filesystem: <root>/<region>/<key>. Writes go to a temporary file, are
// fsynced and renamed, so a reader never sees half an object.
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ObjectStore, ObjectNotFound, checkKey } from './object-store.js';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

export class FsObjectStore implements ObjectStore {
  readonly name = 'fs';

  constructor(private readonly root: string) {}

  #path(region: string, key: string): string {
    checkKey(region);
    checkKey(key);
    return path.join(this.root, region, key);
  }

  async #tmp(file: string): Promise<string> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    return `${file}.${randomBytes(4).toString('hex')}.tmp`;
  }

  async put(region: string, key: string, body: Buffer): Promise<void> {
    const file = this.#path(region, key);
    const tmp = await this.#tmp(file);
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  }

  async putStream(region: string, key: string, body: Readable): Promise<number> {
    const file = this.#path(region, key);
    const tmp = await this.#tmp(file);
    let bytes = 0;
    body.on('data', (c: Buffer) => (bytes += c.length));
    try {
      const out = createWriteStream(tmp, { mode: 0o600 });
      await pipeline(body, out);
      const handle = await fs.open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
      return bytes;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async get(region: string, key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.#path(region, key));
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFound(region, key);
      throw err;
    }
  }

  async getStream(region: string, key: string): Promise<Readable> {
    const file = this.#path(region, key);
    // Open first, so a missing object is an error here rather than on the stream later.
    let handle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFound(region, key);
      throw err;
    }
    return handle.createReadStream({ autoClose: true });
  }

  async getRange(region: string, key: string, start: number, length: number): Promise<Buffer> {
    let handle;
    try {
      handle = await fs.open(this.#path(region, key), 'r');
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFound(region, key);
      throw err;
    }
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async size(region: string, key: string): Promise<number | undefined> {
    try {
      return (await fs.stat(this.#path(region, key))).size;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async delete(region: string, key: string): Promise<void> {
    await fs.rm(this.#path(region, key), { force: true });
  }

  async exists(region: string, key: string): Promise<boolean> {
    return (await this.size(region, key)) !== undefined;
  }

  async *list(region: string, prefix: string): AsyncIterable<string> {
    checkKey(region);
    const base = path.join(this.root, region);
    const walk = async function* (dir: string): AsyncIterable<string> {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      // Sorted as full keys would sort: a directory "a" sorts as "a/".
      const named = entries.map((e) => ({ e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }));
      named.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
      for (const { e } of named) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) yield* walk(full);
        else if (!e.name.endsWith('.tmp')) yield path.relative(base, full).split(path.sep).join('/');
      }
    };
    // Walk only the directory the prefix names (its part up to the last '/').
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (dirPart) checkKey(dirPart);
    for await (const key of walk(dirPart ? path.join(base, dirPart) : base))
      if (key.startsWith(prefix)) yield key;
  }
}
