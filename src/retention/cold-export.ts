// Exports the rows of a record partition that some country's regulation keeps longer than the online
// months, before the partition is dropped: NDJSON, gzip-compressed, sealed (RCS1) under the region's
// key, in the region's object store. Rows are grouped by their customer's region, so a shared
// embedded database still writes each region's rows to that region only. The export is read back
// and counted before it is recorded as done; only then may the partition be dropped.
import { createGunzip, createGzip } from 'node:zlib';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Region } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Envelope } from '../crypto/index.js';
import type { ObjectStore } from '../objects/index.js';
import { partitionName } from '../store/partitions.js';
import { coldExportContext, coldExportKey } from '../content/content-refs.js';

export interface ColdExportDeps {
  router: RegionRouter;
  objects: ObjectStore;
  envelope: Envelope;
}

export interface ColdExportResult {
  region: Region;
  objectKey: string;
  rows: number;
}

const PAGE = 5000;

/** The number whose country decides a record's retention: the customer's side of the call or message. */
export function recordNumber(table: 'cdrs' | 'mdrs', row: Record<string, unknown>): string | null {
  const inbound = row.direction === 'inbound';
  const n = table === 'cdrs' ? (inbound ? row.called : row.calling) : inbound ? row.recipient : row.sender;
  return typeof n === 'string' ? n : null;
}

export function monthLabel(month: Date): string {
  return month.toISOString().slice(0, 7);
}

interface Sink {
  input: PassThrough;
  rows: number;
  done: Promise<number>;
  key: string;
}

export async function exportPartition(
  db: Db,
  table: 'cdrs' | 'mdrs',
  month: Date,
  countries: readonly string[],
  keepUntil: Date,
  deps: ColdExportDeps,
): Promise<ColdExportResult[]> {
  const partition = partitionName(table, month);
  const label = monthLabel(month);
  const wanted = new Set(countries);
  const countryOf = new Map<string, string | undefined>();
  const sinks = new Map<Region, Sink>();

  const open = async (region: Region): Promise<Sink> => {
    const key = coldExportKey(table, label, region);
    const input = new PassThrough();
    const sealer = await deps.envelope.sealStream(region, coldExportContext(table, label, region));
    const out = new PassThrough();
    const piping = pipeline(input, createGzip(), sealer, out);
    const done = Promise.all([piping, deps.objects.putStream(region, key, out)]).then(([, n]) => n);
    // Surface errors through `done` only.
    done.catch(() => undefined);
    return { input, rows: 0, done, key };
  };

  let after: string | null = null;
  try {
    for (;;) {
      const page: { rows: Record<string, unknown>[] } = await db.query<Record<string, unknown>>(
        `SELECT * FROM ${partition} WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT ${PAGE}`,
        [after],
      );
      const rows = page.rows;
      for (const row of rows) {
        const number = recordNumber(table, row);
        if (!number) continue;
        if (!countryOf.has(number)) countryOf.set(number, parsePhoneNumberFromString(number)?.country);
        const country = countryOf.get(number);
        if (!country || !wanted.has(country)) continue;
        const region = await deps.router.regionOfCustomer(String(row.customer_id));
        if (!region) throw new Error(`record ${String(row.id)} has a customer without a region`);
        let sink = sinks.get(region);
        if (!sink) {
          sink = await open(region);
          sinks.set(region, sink);
        }
        if (!sink.input.write(`${JSON.stringify({ ...row, country })}\n`))
          await new Promise((r) => sink?.input.once('drain', r));
        sink.rows += 1;
      }
      if (rows.length < PAGE) break;
      after = String(rows[rows.length - 1]?.id);
    }
  } catch (err) {
    for (const s of sinks.values()) s.input.destroy(err as Error);
    throw err;
  }
  for (const s of sinks.values()) s.input.end();
  await Promise.all([...sinks.values()].map((s) => s.done));

  const results: ColdExportResult[] = [];
  for (const [region, sink] of sinks) {
    const counted = await countLines(deps, region, sink.key, coldExportContext(table, label, region));
    if (counted !== sink.rows)
      throw new Error(`cold export ${sink.key} holds ${counted} rows, expected ${sink.rows}`);
    await db.query(
      `INSERT INTO cold_exports (table_name, month, region, object_key, row_count, countries, keep_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (table_name, month, region) DO UPDATE SET object_key = EXCLUDED.object_key,
         row_count = EXCLUDED.row_count, countries = EXCLUDED.countries, keep_until = EXCLUDED.keep_until,
         created_at = now()`,
      [table, label + '-01', region, sink.key, sink.rows, [...wanted].sort(), keepUntil],
    );
    results.push({ region, objectKey: sink.key, rows: sink.rows });
  }
  return results;
}

/** Opens a cold export and returns its rows (tests, restores). */
export async function readColdExport(
  deps: Pick<ColdExportDeps, 'objects' | 'envelope'>,
  region: Region,
  key: string,
  context: string,
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let rest = '';
  await pipeline(
    await deps.objects.getStream(region, key),
    deps.envelope.openStream(context),
    createGunzip(),
    async (src: AsyncIterable<Buffer>) => {
      for await (const chunk of src) {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) if (l) rows.push(JSON.parse(l) as Record<string, unknown>);
      }
    },
  );
  if (rest) rows.push(JSON.parse(rest) as Record<string, unknown>);
  return rows;
}

async function countLines(
  deps: ColdExportDeps,
  region: Region,
  key: string,
  context: string,
): Promise<number> {
  let n = 0;
  await pipeline(
    await deps.objects.getStream(region, key),
    deps.envelope.openStream(context),
    createGunzip(),
    async (src: AsyncIterable<Buffer>) => {
      for await (const chunk of src) for (const b of chunk) if (b === 10) n += 1;
    },
  );
  return n;
}
