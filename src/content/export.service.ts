// The customer data export: every record and piece of content of one customer, in one tar.gz.
//
//   manifest.json                       customer, region, time, what each part holds
//   customer.json
//   <table>/part-000001.ndjson ...      records as NDJSON (camelCase), at most exportPartRows rows a part
//   recordings/<id>.<ext>               decrypted recordings
//   media/<messageId>/<n>.<ext>         decrypted MMS media
//
// Message bodies are decrypted into messages/*.ndjson ("body"). Every query names the customer: an
// export never holds another customer's row, even where regions share a database. Parts bound the
// memory an export needs; content is streamed from the store through decryption into the archive.
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Logger } from 'pino';
import type { Region } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Envelope } from '../crypto/index.js';
import { MAX_HEADER_BYTES } from '../crypto/index.js';
import type { ObjectStore } from '../objects/index.js';
import { type Principal, actorName } from '../accounts/actor.js';
import { auditCustomer } from '../accounts/audit.repo.js';
import { Errors } from '../platform/errors.js';
import { messageBodyContext, mediaContext, mediaItems, recordingContext } from './content-refs.js';
import { extensionOf } from './content.service.js';

export interface ExportDeps {
  router: RegionRouter;
  objects: ObjectStore;
  envelope: Envelope;
  partRows: number;
  log: Logger;
  now?: () => Date;
}

/** A customer-owned table, its keyset order, and what is left out (secrets, ciphertext). */
interface TableSpec {
  name: string;
  table: string;
  order: [string, string];
  omit?: string[];
}

// Every table holding a customer's rows. A feature adding such a table adds it here.
const TABLES: TableSpec[] = [
  { name: 'numbers', table: 'numbers', order: ['created_at', 'e164'] },
  { name: 'api-keys', table: 'api_keys', order: ['created_at', 'id'], omit: ['secret_hash'] },
  { name: 'cdrs', table: 'cdrs', order: ['started_at', 'id'] },
  { name: 'mdrs', table: 'mdrs', order: ['created_at', 'id'] },
  { name: 'sip-traces', table: 'sip_traces', order: ['created_at', 'call_id'] },
  { name: 'recordings', table: 'recordings', order: ['started_at', 'id'] },
  { name: 'messages', table: 'message_content', order: ['created_at', 'message_id'], omit: ['body_enc'] },
  { name: 'sip-trunks', table: 'sip_trunks', order: ['created_at', 'id'], omit: ['digest_ha1_enc'] },
  { name: 'caller-ids', table: 'verified_caller_ids', order: ['verified_at', 'e164'] },
  {
    name: 'outbound-queue',
    table: 'sms_outbound',
    order: ['created_at', 'message_id'],
    omit: ['body_enc', 'locked_by', 'locked_until'],
  },
  {
    name: 'message-deliveries',
    table: 'message_outbox',
    order: ['created_at', 'id'],
    omit: ['payload_enc', 'locked_by', 'locked_until'],
  },
  { name: 'audit-log', table: 'audit_log', order: ['at', 'id'] },
];

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function toJson(row: Record<string, unknown>, omit: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!omit.includes(k)) out[camel(k)] = v;
  return out;
}

interface FileEntry {
  name: string;
  region: Region;
  key: string;
  context: string;
}

export class ExportService {
  readonly #now: () => Date;

  constructor(private readonly deps: ExportDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Audits the export, then returns the archive as a stream. Errors before the first byte are
   * thrown; an error while streaming ends the stream with that error (the client sees a cut archive).
   */
  async exportCustomer(by: Principal, customerId: string): Promise<Readable> {
    const { region, db } = await this.deps.router.forCustomer(customerId);
    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM customers WHERE id = $1', [
      customerId,
    ]);
    const customer = rows[0];
    if (!customer) throw Errors.notFound('customer');
    await auditCustomer(db, customerId, {
      actor: actorName(by),
      action: 'customer.export',
      resource: 'customer',
      resourceId: customerId,
    });
    const pack = tar.pack();
    const gz = createGzip();
    const out = pack.pipe(gz);
    this.#fill(pack, db, region, customerId, customer).catch((err: Error) => {
      this.deps.log.error({ err, customerId }, 'customer export failed while streaming');
      pack.destroy(err);
      gz.destroy(err);
    });
    return out;
  }

  async #fill(pack: tar.Pack, db: Db, region: Region, customerId: string, customer: Record<string, unknown>) {
    const add = (name: string, body: string | Buffer) =>
      new Promise<void>((resolve, reject) =>
        pack.entry({ name, mtime: this.#now() }, body, (e) => (e ? reject(e) : resolve())),
      );
    const parts: Record<string, { parts: number; rows: number }> = {};
    const files: FileEntry[] = [];
    await add('customer.json', JSON.stringify(toJson(customer), null, 2));

    for (const spec of TABLES) {
      const summary = { parts: 0, rows: 0 };
      parts[spec.name] = summary;
      await this.#pages(db, spec, customerId, async (rows) => {
        const lines: string[] = [];
        for (const row of rows) {
          const json = toJson(row, spec.omit);
          if (spec.table === 'message_content') {
            json.body = row.body_enc
              ? (
                  await this.deps.envelope.open(
                    row.body_enc as Buffer,
                    messageBodyContext(String(row.message_id)),
                  )
                ).toString('utf8')
              : null;
            json.media = mediaItems(row.media).map((m, i) => {
              const name = `media/${String(row.message_id)}/${i}.${extensionOf(m.mimeType)}`;
              files.push({
                name,
                region,
                key: m.objectKey,
                context: mediaContext(String(row.message_id), m.objectKey),
              });
              return { ...m, file: name };
            });
          }
          if (spec.table === 'recordings' && row.object_key && !row.deleted_at) {
            const name = `recordings/${String(row.id)}.${extensionOf(String(row.mime_type))}`;
            files.push({
              name,
              region,
              key: String(row.object_key),
              context: recordingContext(String(row.id)),
            });
            json.file = name;
          }
          lines.push(JSON.stringify(json));
        }
        summary.parts += 1;
        summary.rows += rows.length;
        await add(
          `${spec.name}/part-${String(summary.parts).padStart(6, '0')}.ndjson`,
          lines.join('\n') + '\n',
        );
      });
    }

    const missing: string[] = [];
    for (const f of files) if (!(await this.#addFile(pack, f))) missing.push(f.name);
    await add(
      'manifest.json',
      JSON.stringify(
        {
          customerId,
          region,
          generatedAt: this.#now().toISOString(),
          records: parts,
          files: files.length - missing.length,
          missing,
        },
        null,
        2,
      ),
    );
    pack.finalize();
  }

  /** Keyset pages of one customer's rows of a table, oldest first. */
  async #pages(
    db: Db,
    spec: TableSpec,
    customerId: string,
    each: (rows: Record<string, unknown>[]) => Promise<void>,
  ) {
    const [a, b] = spec.order;
    let last: [unknown, unknown] | undefined;
    const idCol = spec.table === 'customers' ? 'id' : 'customer_id';
    for (;;) {
      const page: { rows: Record<string, unknown>[] } = await db.query<Record<string, unknown>>(
        `SELECT * FROM ${spec.table} WHERE ${idCol} = $1 ${last ? `AND (${a}, ${b}) > ($2, $3)` : ''}
         ORDER BY ${a}, ${b} LIMIT ${this.deps.partRows}`,
        last ? [customerId, last[0], last[1]] : [customerId],
      );
      if (page.rows.length > 0) await each(page.rows);
      if (page.rows.length < this.deps.partRows) return;
      const tail = page.rows[page.rows.length - 1] as Record<string, unknown>;
      last = [tail[a], tail[b]];
    }
  }

  /** Streams one object, decrypted, into the archive; false when it no longer exists. */
  async #addFile(pack: tar.Pack, f: FileEntry): Promise<boolean> {
    const { objects, envelope } = this.deps;
    const total = await objects.size(f.region, f.key);
    if (total === undefined) return false;
    const size = envelope.plaintextSize(await objects.getRange(f.region, f.key, 0, MAX_HEADER_BYTES), total);
    const entry = pack.entry({ name: f.name, size, mtime: this.#now() });
    await pipeline(await objects.getStream(f.region, f.key), envelope.openStream(f.context), entry);
    return true;
  }
}
