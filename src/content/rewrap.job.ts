// Key rotation's second half: re-wrap every data key that is not under its ring's current version.
// Only the header of each sealed item changes (content.repo's rows and the content ciphertext stay).
//
//   objects  every object of every served region (listed from the store, so nothing is missed);
//            the header is read with a ranged read, and only stale objects are rewritten
//   columns  every sealed column (SEALED_COLUMNS), updated compare-and-set so a concurrent writer wins
//
// A content deletion racing the rewrite could otherwise bring an object back: after writing, the
// object's owner row is checked again and, if it was deleted meanwhile, the object is deleted again.
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import type { Logger } from 'pino';
import type { Region } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Envelope } from '../crypto/index.js';
import { MAX_HEADER_BYTES } from '../crypto/index.js';
import type { ObjectStore } from '../objects/index.js';
import { mapLimit } from './content-deleter.js';

/** Every column holding sealed bytes. A feature that stores a sealed credential adds its column here. */
export const SEALED_COLUMNS: readonly {
  db: 'control' | 'region';
  table: string;
  key: string;
  column: string;
}[] = [
  { db: 'region', table: 'message_content', key: 'message_id', column: 'body_enc' },
  { db: 'control', table: 'smpp_binds', key: 'id', column: 'password_enc' },
  { db: 'region', table: 'sip_trunks', key: 'id', column: 'digest_ha1_enc' },
  { db: 'region', table: 'sms_outbound', key: 'message_id', column: 'body_enc' },
  { db: 'region', table: 'message_outbox', key: 'id', column: 'payload_enc' },
];

export interface RewrapDeps {
  router: RegionRouter;
  objects: ObjectStore;
  envelope: Envelope;
  log: Logger;
  concurrency: number;
}

export interface RewrapReport {
  objects: { scanned: number; rewrapped: number };
  columns: { scanned: number; rewrapped: number };
}

/** Objects above this size are rewritten as a stream rather than in memory. */
const STREAM_ABOVE = 4 * 1024 * 1024;
const PAGE = 500;

export async function rewrapAll(deps: RewrapDeps): Promise<RewrapReport> {
  const report: RewrapReport = {
    objects: { scanned: 0, rewrapped: 0 },
    columns: { scanned: 0, rewrapped: 0 },
  };
  for (const region of deps.router.served()) {
    const keys: string[] = [];
    const flush = async () => {
      await mapLimit(keys.splice(0), deps.concurrency, async (key) => {
        report.objects.scanned += 1;
        if (await rewrapObject(deps, region, key)) report.objects.rewrapped += 1;
      });
    };
    for await (const key of deps.objects.list(region, '')) {
      keys.push(key);
      if (keys.length >= PAGE) await flush();
    }
    await flush();
  }
  for (const col of SEALED_COLUMNS) {
    const dbs =
      col.db === 'control' ? [deps.router.control] : deps.router.distinctDatabases().map((d) => d.db);
    for (const db of dbs) {
      const r = await rewrapColumn(deps.envelope, db, col);
      report.columns.scanned += r.scanned;
      report.columns.rewrapped += r.rewrapped;
    }
  }
  deps.log.info({ ...report }, 'key re-wrap finished');
  return report;
}

/** Counts of sealed items by "ring/version", over every object and sealed column. */
export async function keyCensus(
  deps: Pick<RewrapDeps, 'router' | 'objects' | 'envelope'>,
): Promise<Record<string, number>> {
  const census: Record<string, number> = {};
  const count = (head: Buffer) => {
    const { ring, version } = deps.envelope.keyOf(head);
    census[`${ring}/${version}`] = (census[`${ring}/${version}`] ?? 0) + 1;
  };
  for (const region of deps.router.served())
    for await (const key of deps.objects.list(region, ''))
      count(await deps.objects.getRange(region, key, 0, MAX_HEADER_BYTES));
  for (const col of SEALED_COLUMNS) {
    const dbs =
      col.db === 'control' ? [deps.router.control] : deps.router.distinctDatabases().map((d) => d.db);
    for (const db of dbs) {
      const { rows } = await db.query<{ h: Buffer }>(
        `SELECT substring(${col.column} from 1 for ${MAX_HEADER_BYTES}) AS h FROM ${col.table} WHERE ${col.column} IS NOT NULL`,
      );
      for (const r of rows) count(r.h);
    }
  }
  return census;
}

/** Whether the row owning an object has been deleted (then the object must not come back). */
async function ownerDeleted(db: Db, key: string): Promise<boolean> {
  const rec = /^recordings\/[^/]+\/([0-9a-f-]{36})\.rce$/.exec(key);
  if (rec) {
    const { rows } = await db.query<{ gone: boolean }>(
      'SELECT (deleted_at IS NOT NULL OR object_key IS DISTINCT FROM $2) AS gone FROM recordings WHERE id = $1',
      [rec[1], key],
    );
    return rows[0]?.gone ?? false;
  }
  const media = /^media\/[^/]+\/([0-9a-f-]{36})\/\d+\.rce$/.exec(key);
  if (media) {
    const { rows } = await db.query<{ gone: boolean }>(
      'SELECT (deleted_at IS NOT NULL) AS gone FROM message_content WHERE message_id = $1',
      [media[1]],
    );
    return rows[0]?.gone ?? false;
  }
  return false;
}

async function rewrapObject(deps: RewrapDeps, region: Region, key: string): Promise<boolean> {
  const { objects, envelope, router } = deps;
  const db = router.region(region);
  const head = await objects.getRange(region, key, 0, MAX_HEADER_BYTES);
  const next = await envelope.rewrapHeader(head);
  if (!next) return false;
  if (await ownerDeleted(db, key)) return false;
  const size = (await objects.size(region, key)) ?? 0;
  if (size <= STREAM_ABOVE) {
    const sealed = await objects.get(region, key);
    await objects.put(region, key, Buffer.concat([next.header, sealed.subarray(next.length)]));
  } else {
    const source = await objects.getStream(region, key);
    const swapped = source.pipe(new HeaderSwap(next.header, next.length));
    source.on('error', (err) => swapped.destroy(err));
    await objects.putStream(region, key, swapped.pipe(new PassThrough()));
  }
  if (await ownerDeleted(db, key)) await objects.delete(region, key);
  return true;
}

/** Replaces the first `skip` bytes of a stream with `header`. */
class HeaderSwap extends Transform {
  #skip: number;
  constructor(
    private readonly header: Buffer,
    skip: number,
  ) {
    super();
    this.#skip = skip;
    this.push(header);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.#skip > 0) {
      const drop = Math.min(this.#skip, chunk.length);
      this.#skip -= drop;
      chunk = chunk.subarray(drop);
    }
    if (chunk.length) this.push(chunk);
    done();
  }
}

async function rewrapColumn(
  envelope: Envelope,
  db: Db,
  col: (typeof SEALED_COLUMNS)[number],
): Promise<{ scanned: number; rewrapped: number }> {
  let scanned = 0;
  let rewrapped = 0;
  let after: string | null = null;
  for (;;) {
    const page: { rows: { k: string; v: Buffer }[] } = await db.query<{ k: string; v: Buffer }>(
      `SELECT ${col.key}::text AS k, ${col.column} AS v FROM ${col.table}
       WHERE ${col.column} IS NOT NULL AND ($1::text IS NULL OR ${col.key}::text > $1::text)
       ORDER BY ${col.key}::text LIMIT ${PAGE}`,
      [after],
    );
    for (const { k, v } of page.rows) {
      scanned += 1;
      const next = await envelope.rewrap(v);
      if (next === v) continue;
      // Compare-and-set: a row rewritten meanwhile (new content, already current) is left alone.
      const { rowCount } = await db.query(
        `UPDATE ${col.table} SET ${col.column} = $2 WHERE ${col.key}::text = $1 AND ${col.column} = $3`,
        [k, next, v],
      );
      rewrapped += rowCount;
    }
    if (page.rows.length < PAGE) break;
    after = page.rows[page.rows.length - 1]?.k ?? null;
  }
  return { scanned, rewrapped };
}
