// The spool: batches that could not reach their regional database wait here, one file per batch,
// until the database is back. Each file is written to a temporary name, fsynced and renamed, so a
// crash leaves either a whole batch or nothing. File names sort in write order.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Cell } from './record-kind.js';

export interface SpooledBatch {
  kind: string;
  rows: Cell[][];
}

export interface SpoolFile {
  file: string;
  region: string;
}

export class Spool {
  #seq = 0;

  constructor(readonly dir: string) {}

  #regionDir(region: string): string {
    return path.join(this.dir, region);
  }

  async append(region: string, batch: SpooledBatch): Promise<string> {
    const dir = this.#regionDir(region);
    await fs.mkdir(dir, { recursive: true });
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${String(this.#seq++).padStart(9, '0')}-${batch.kind}.json`;
    const final = path.join(dir, name);
    const tmp = `${final}.tmp`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(batch));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, final);
    return final;
  }

  /** Batches waiting for one region, oldest first. Leftover .tmp files are from a crash mid-write. */
  async list(region: string): Promise<string[]> {
    const dir = this.#regionDir(region);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => path.join(dir, n));
  }

  async regions(): Promise<string[]> {
    try {
      const entries = await fs.readdir(this.dir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && e.name !== 'dead').map((e) => e.name);
    } catch {
      return [];
    }
  }

  async read(file: string): Promise<SpooledBatch> {
    return JSON.parse(await fs.readFile(file, 'utf8')) as SpooledBatch;
  }

  async remove(file: string): Promise<void> {
    await fs.rm(file, { force: true });
  }

  /** Rows the database refused as data (not as an outage): kept for an operator, never discarded. */
  async deadLetter(region: string, kind: string, rows: Cell[][], reason: string): Promise<string> {
    const dir = path.join(this.dir, 'dead');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${region}-${kind}.ndjson`);
    const lines =
      rows.map((r) => JSON.stringify({ at: new Date().toISOString(), reason, row: r })).join('\n') + '\n';
    const handle = await fs.open(file, 'a');
    try {
      await handle.writeFile(lines);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return file;
  }
}
