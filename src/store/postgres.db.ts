// A Db on server PostgreSQL through a pg Pool.
import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db.js';

// int8 (counts, sums) as number: our values stay far below 2^53. Scoped to our pools, not global.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PostgresDbOptions {
  label: string;
  connectionString: string;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName?: string;
}

export class PostgresDb implements Db {
  readonly engine = 'postgres' as const;
  readonly label: string;
  readonly pool: pg.Pool;
  readonly physicalId: string;

  constructor(opts: PostgresDbOptions) {
    this.label = opts.label;
    // host:port/database, without credentials
    const u = new URL(opts.connectionString);
    this.physicalId = `postgres:${u.hostname}:${u.port || 5432}${u.pathname}`;
    this.pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.poolSize,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      statement_timeout: opts.statementTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: opts.applicationName ?? 'routing-core',
      types,
    });
    // An idle client losing its connection emits on the pool; without a listener that is a crash.
    this.pool.on('error', () => undefined);
  }

  async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const res = await this.pool.query(text, params as unknown[] | undefined);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const q: Queryable = {
      query: async <R>(text: string, params?: readonly unknown[]) => {
        const res = await client.query(text, params as unknown[] | undefined);
        return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
      },
      exec: async (sql: string) => {
        await client.query(sql);
      },
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(q);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
