// Monthly range partitions for the record tables (cdrs on started_at, mdrs on created_at).
// Partitions are created ahead of time; a row whose month has no partition lands in the DEFAULT
// partition and is moved into the month's partition when that one is created, so nothing is refused.
import type { Db } from './db.js';

export const PARTITIONED_TABLES = [
  { table: 'cdrs', column: 'started_at' },
  { table: 'mdrs', column: 'created_at' },
] as const;

export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]['table'];

export function monthStart(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

export function addMonths(d: Date, n: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
}

export function partitionName(table: string, month: Date): string {
  return `${table}_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Creates the partition of `table` for the month starting at `month` if it does not exist. */
export async function ensurePartition(db: Db, table: PartitionedTable, month: Date): Promise<boolean> {
  const spec = PARTITIONED_TABLES.find((p) => p.table === table);
  if (!spec) throw new Error(`not a partitioned table: ${table}`);
  const name = partitionName(table, month);
  const from = month.toISOString();
  const to = addMonths(month, 1).toISOString();
  return db.tx(async (q) => {
    // One creator at a time per table: two instances starting together would otherwise race.
    await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`partition:${table}`]);
    const exists = await q.query('SELECT 1 FROM pg_class WHERE relname = $1', [name]);
    if (exists.rowCount > 0) return false;
    await q.query(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await q.query(
      `WITH moved AS (DELETE FROM ${table}_default WHERE ${spec.column} >= $1 AND ${spec.column} < $2 RETURNING *)
       INSERT INTO ${name} SELECT * FROM moved`,
      [from, to],
    );
    await q.query(`ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
    return true;
  });
}

/** Partitions for `behind` past months, the current one and `ahead` future ones, for every record table. */
export async function ensureMonthlyPartitions(
  db: Db,
  now: Date,
  { behind = 1, ahead = 3 }: { behind?: number; ahead?: number } = {},
): Promise<string[]> {
  const created: string[] = [];
  for (const { table } of PARTITIONED_TABLES) {
    for (let i = -behind; i <= ahead; i++) {
      const month = addMonths(monthStart(now), i);
      if (await ensurePartition(db, table, month)) created.push(partitionName(table, month));
    }
  }
  return created;
}
