// Sweeps one database's records: CDR/MDR partitions (created ahead; dropped after the online months,
// exported to cold storage first where a country demands longer), cold exports past their keep-until,
// SIP traces and audit records past their days.
import type { Config } from '../config/index.js';
import type { Db } from '../store/db.js';
import { PARTITIONED_TABLES, ensurePartition, partitionName } from '../store/partitions.js';
import { planPartitions, type PartitionRef } from './partition.policy.js';
import { exportPartition, type ColdExportDeps } from './cold-export.js';

const DAY_MS = 86_400_000;
const TABLES = PARTITIONED_TABLES.map((p) => p.table);

export interface RecordsSweepResult {
  created: string[];
  dropped: string[];
  exported: { partition: string; region: string; objectKey: string; rows: number }[];
  sipTraces: number;
  auditRecords: number;
  coldExports: number;
}

/** The monthly partitions that exist (named <table>_YYYY_MM), read from the catalogue. */
export async function listPartitions(db: Db): Promise<PartitionRef[]> {
  const { rows } = await db.query<{ parent: string; child: string }>(
    `SELECT p.relname AS parent, c.relname AS child FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = ANY($1::text[])`,
    [TABLES],
  );
  const out: PartitionRef[] = [];
  for (const r of rows) {
    const m = /^(cdrs|mdrs)_(\d{4})_(\d{2})$/.exec(r.child);
    if (m && m[1] === r.parent)
      out.push({ table: r.parent, month: new Date(Date.UTC(Number(m[2]), Number(m[3]) - 1, 1)) });
  }
  return out;
}

/**
 * Rows that fell into a DEFAULT partition (written for a month without its partition) get their
 * month's partition, which moves them out; then the plan treats them like any other month.
 */
async function drainDefaults(db: Db): Promise<string[]> {
  const created: string[] = [];
  for (const { table, column } of PARTITIONED_TABLES) {
    const { rows } = await db.query<{ m: string }>(
      `SELECT DISTINCT to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM') AS m FROM ${table}_default`,
    );
    for (const { m } of rows) {
      const month = new Date(`${m}-01T00:00:00Z`);
      if (await ensurePartition(db, table, month)) created.push(partitionName(table, month));
    }
  }
  return created;
}

async function dropPartition(db: Db, table: string, month: Date): Promise<void> {
  const name = partitionName(table, month);
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`partition:${table}`]);
    const exists = await q.query('SELECT 1 FROM pg_class WHERE relname = $1', [name]);
    if (exists.rowCount === 0) return;
    await q.query(`ALTER TABLE ${table} DETACH PARTITION ${name}`);
    await q.query(`DROP TABLE ${name}`);
  });
}

async function deleteInBatches(db: Db, sql: string, params: unknown[], batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.query(sql, [...params, batch]);
    total += rowCount;
    if (rowCount < batch) return total;
  }
}

export async function sweepRecords(
  db: Db,
  now: Date,
  config: Config['retention'],
  deps: ColdExportDeps,
): Promise<RecordsSweepResult> {
  const result: RecordsSweepResult = {
    created: await drainDefaults(db),
    dropped: [],
    exported: [],
    sipTraces: 0,
    auditRecords: 0,
    coldExports: 0,
  };
  const plan = planPartitions(now, TABLES, await listPartitions(db), {
    aheadMonths: config.partitionsAheadMonths,
    onlineMonths: config.records.onlineMonths,
    countries: config.records.countries,
  });
  for (const p of plan.create)
    if (await ensurePartition(db, p.table as 'cdrs' | 'mdrs', p.month))
      result.created.push(partitionName(p.table, p.month));
  for (const d of plan.drop) {
    const name = partitionName(d.table, d.month);
    if (d.export) {
      const done = await exportPartition(
        db,
        d.table as 'cdrs' | 'mdrs',
        d.month,
        d.export.countries,
        d.export.keepUntil,
        deps,
      );
      for (const e of done) result.exported.push({ partition: name, ...e });
    }
    await dropPartition(db, d.table, d.month);
    result.dropped.push(name);
  }

  // Cold exports whose longest country period has ended: object first, then the row.
  const expired = await db.query<{ table_name: string; month: Date; region: string; object_key: string }>(
    'SELECT table_name, month, region, object_key FROM cold_exports WHERE keep_until <= $1',
    [now],
  );
  for (const e of expired.rows) {
    await deps.objects.delete(e.region, e.object_key);
    await db.query('DELETE FROM cold_exports WHERE table_name = $1 AND month = $2 AND region = $3', [
      e.table_name,
      e.month,
      e.region,
    ]);
    result.coldExports += 1;
  }

  const batch = config.batchSize;
  result.sipTraces = await deleteInBatches(
    db,
    `DELETE FROM sip_traces WHERE call_id IN
       (SELECT call_id FROM sip_traces WHERE expires_at <= $1 OR created_at <= $2 LIMIT $3)`,
    [now, new Date(now.getTime() - config.sipTraceMaxDays * DAY_MS)],
    batch,
  );
  result.auditRecords = await deleteInBatches(
    db,
    'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at <= $1 LIMIT $2)',
    [new Date(now.getTime() - config.auditLogDays * DAY_MS)],
    batch,
  );
  return result;
}
