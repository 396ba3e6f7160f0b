// The embedded database: one PGlite (PostgreSQL in WASM) under the data directory, shared by the
// control plane and every region in the embedded default. Each region still gets its own Db handle
// (with its own label) so code paths are exactly those of a multi-database deployment.
import { mkdirSync } from 'node:fs';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';

const BYTEA_OID = 17;

interface PgliteResult {
  rows: Record<string, unknown>[];
  affectedRows?: number;
  fields: { name: string; dataTypeID: number }[];
}

/** bytea comes back as Uint8Array from PGlite and as Buffer from pg: make it Buffer everywhere. */
function normalise<R>(res: PgliteResult): QueryResult<R> {
  const byteaFields = res.fields.filter((f) => f.dataTypeID === BYTEA_OID).map((f) => f.name);
  if (byteaFields.length > 0) {
    for (const row of res.rows) {
      for (const f of byteaFields) {
        const v = row[f];
        if (v instanceof Uint8Array && !Buffer.isBuffer(v))
          row[f] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }
    }
  }
  // PGlite reports affectedRows 0 for a SELECT; pg's rowCount is the number of rows returned.
  return { rows: res.rows as R[], rowCount: res.rows.length > 0 ? res.rows.length : (res.affectedRows ?? 0) };
}

export class PgliteHost {
  #refs = 0;
  private constructor(
    readonly pg: PGliteType,
    readonly location: string,
  ) {}

  /** dataDir undefined: in memory (tests). */
  static async open(dataDir?: string): Promise<PgliteHost> {
    const { PGlite } = await import('@electric-sql/pglite');
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const pg = dataDir ? new PGlite(dataDir) : new PGlite();
    await pg.waitReady;
    return new PgliteHost(pg, `pglite:${dataDir ?? 'memory'}`);
  }

  handle(label: string): Db {
    this.#refs += 1;
    return new PgliteDb(label, this);
  }

  async release(): Promise<void> {
    this.#refs -= 1;
    if (this.#refs === 0) await this.pg.close();
  }
}

class PgliteDb implements Db {
  readonly engine = 'pglite' as const;
  readonly physicalId: string;
  #closed = false;

  constructor(
    readonly label: string,
    private readonly host: PgliteHost,
  ) {
    this.physicalId = host.location;
  }

  async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return normalise<R>((await this.host.pg.query(text, params as unknown[] | undefined)) as PgliteResult);
  }

  async exec(sql: string): Promise<void> {
    await this.host.pg.exec(sql);
  }

  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.host.pg.transaction(async (t) =>
      fn({
        query: async <R>(text: string, params?: readonly unknown[]) =>
          normalise<R>((await t.query(text, params as unknown[] | undefined)) as PgliteResult),
        exec: async (sql: string) => {
          await t.exec(sql);
        },
      }),
    );
  }

  async ping(): Promise<void> {
    await this.host.pg.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.host.release();
  }
}
