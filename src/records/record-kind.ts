// A kind of record (CDR, MDR, ...) describes how one record becomes one row of its table.
// Rows are flattened to JSON-safe values at enqueue time, so a batch can be spooled to disk and
// replayed later without the code that built it.
import type { Queryable } from '../store/db.js';

export type Cell = string | number | boolean | null;

export interface Column<R> {
  name: string;
  /** PostgreSQL type used to cast the unnest() array, e.g. 'uuid', 'timestamptz', 'jsonb'. */
  type: string;
  value(record: R): unknown;
}

export interface RecordKind<R> {
  /** Short stable name: metrics label and spool file tag. */
  readonly name: string;
  readonly table: string;
  readonly columns: readonly Column<R>[];
  /** Columns of the unique key; a row whose key exists is not inserted twice. */
  readonly conflictKey: readonly string[];
  /**
   * Optional upsert: on conflict, update these columns when `when` holds (SQL over the table name and
   * EXCLUDED), e.g. only when the new status_version is higher, so replays never move state back.
   */
  readonly upsert?: { columns: readonly string[]; when: string };
  /**
   * Optional: how a batch is written when one record spans several tables (e.g. an inbound message:
   * its MDR, its encrypted content and its delivery outbox rows, all or nothing). Runs inside one
   * transaction and must be idempotent (replays run it again). Without it, rows go to `table` by unnest().
   */
  insert?(q: Queryable, rows: Cell[][]): Promise<void>;
  customerId(record: R): string;
  /** Record id for logs and dead letters (the first column must hold it). */
  id(record: R): string;
}

export function toCell(v: unknown, type: string): Cell {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (type === 'jsonb' || type === 'json') return JSON.stringify(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  throw new TypeError(`cannot store a ${typeof v} in a ${type} column`);
}

export function toRow<R>(kind: RecordKind<R>, record: R): Cell[] {
  return kind.columns.map((c) => toCell(c.value(record), c.type));
}

/** One INSERT for many rows: one array parameter per column, unnest()ed into rows. */
export function insertSql(kind: RecordKind<unknown>): string {
  const cols = kind.columns.map((c) => c.name).join(', ');
  const arrays = kind.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const target = kind.conflictKey.join(', ');
  const onConflict = kind.upsert
    ? `DO UPDATE SET ${kind.upsert.columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')} WHERE ${kind.upsert.when}`
    : 'DO NOTHING';
  return `INSERT INTO ${kind.table} (${cols}) SELECT * FROM unnest(${arrays}) ON CONFLICT (${target}) ${onConflict}`;
}

/** Column-major parameters for insertSql. */
export function columnArrays(kind: RecordKind<unknown>, rows: readonly Cell[][]): Cell[][] {
  const out: Cell[][] = kind.columns.map(() => new Array<Cell>(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Cell[];
    for (let c = 0; c < out.length; c++) (out[c] as Cell[])[r] = row[c] ?? null;
  }
  return out;
}
