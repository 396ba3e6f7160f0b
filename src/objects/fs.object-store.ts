// Object store on the local filesystem: <root>/<region>/<key>. Writes go to a temporary file, are
// fsynced and renamed, so a reader never sees half an object.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type ObjectStore, ObjectNotFound, checkKey } from './object-store.js';

export class FsObjectStore implements ObjectStore {
  readonly name = 'fs';

  constructor(private readonly root: string) {}

  #path(region: string, key: string): string {
    checkKey(region);
    checkKey(key);
    return path.join(this.root, region, key);
  }

  async put(region: string, key: string, body: Buffer): Promise<void> {
    const file = this.#path(region, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  }

  async get(region: string, key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.#path(region, key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFound(region, key);
      throw err;
    }
  }

  async delete(region: string, key: string): Promise<void> {
    await fs.rm(this.#path(region, key), { force: true });
  }

  async exists(region: string, key: string): Promise<boolean> {
    try {
      await fs.access(this.#path(region, key));
      return true;
    } catch {
      return false;
    }
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
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) yield* walk(full);
        else if (!e.name.endsWith('.tmp')) yield path.relative(base, full).split(path.sep).join('/');
      }
    };
    for await (const key of walk(base)) if (key.startsWith(prefix)) yield key;
  }
}
