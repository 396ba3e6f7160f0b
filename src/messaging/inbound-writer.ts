// Durable writes of inbound messages, grouped: deliver_sm arriving while a write is in flight to the
// same database wait for it and then go together in ONE multi-row statement (MDRs, kept content and
// the pre-claimed outbox rows), like a group commit. Under light load every message is written alone
// at once (no timer); under load the number of round trips per message falls with the batch size,
// which is what bounds inbound throughput (bench/messaging.bench.ts). Each caller's promise resolves
// only after the statement holding its row committed, so deliver_sm_resp still means "recorded".
//
// Values travel as text arrays (bytea as hex, jsonb as text, timestamps as ISO) so the same statement
// works on PostgreSQL and on embedded PGlite, whose array encodings of binary values differ.
import type { Db } from '../store/db.js';
import { isTransient } from '../records/writer.js';

export interface InboundRow {
  id: string;
  customerId: string;
  createdAt: Date;
  sender: string;
  recipient: string;
  parts: number;
  encoding: string;
  carrier: string | null;
  /** JSON of [{size, mimeType}] or null. */
  media: string | null;
  statusVersion: number;
  incomplete: boolean;
  content: { bodyEnc: Buffer | null; mediaRefs: string; expiresAt: Date } | null;
  outbox: { id: string; channel: 'webhook' | 'mail'; target: string; payloadEnc: Buffer }[];
}

interface Pending {
  row: InboundRow;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Queue {
  waiting: Pending[];
  inflight: number;
}

const hex = (b: Buffer | null) => (b ? `\\x${b.toString('hex')}` : null);

const SQL = `WITH m AS (
  INSERT INTO mdrs (id, customer_id, created_at, direction, sender, recipient, parts, encoding, status,
    carrier, media, status_version, incomplete)
  SELECT t.id::uuid, t.customer_id::uuid, t.created_at::timestamptz, 'inbound', t.sender, t.recipient,
    t.parts::int, t.encoding, 'received', t.carrier, t.media::jsonb, t.status_version::int, t.incomplete::boolean
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::text[], $10::text[], $11::text[])
      AS t(id, customer_id, created_at, sender, recipient, parts, encoding, carrier, media, status_version,
        incomplete)
  ON CONFLICT (id, created_at) DO NOTHING
), c AS (
  INSERT INTO message_content (message_id, customer_id, created_at, body_enc, media, expires_at)
  SELECT c.message_id::uuid, c.customer_id::uuid, c.created_at::timestamptz, c.body_enc::bytea,
    c.media::jsonb, c.expires_at::timestamptz
    FROM unnest($12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
      AS c(message_id, customer_id, created_at, body_enc, media, expires_at)
)
INSERT INTO message_outbox (id, message_id, customer_id, channel, event, target, payload_enc, locked_by,
  locked_until, attempts)
SELECT o.id::uuid, o.message_id::uuid, o.customer_id::uuid, o.channel, 'message.received', o.target,
  o.payload_enc::bytea, $23::text, now() + make_interval(secs => $24::float8 / 1000), 1
  FROM unnest($18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $25::text[])
    AS o(id, message_id, customer_id, channel, target, payload_enc)
ON CONFLICT (message_id, channel, event) DO NOTHING`;

export class InboundWriter {
  readonly #queues = new Map<Db, Queue>();

  constructor(
    private readonly o: {
      instanceId: string;
      leaseMs: number;
      /** Rows per statement. */
      maxBatch: number;
      /** Statements in flight per database; the rest wait and join the next batch. */
      maxInflight: number;
      /** Rows of each committed statement. */
      onCommit?: (rows: number) => void;
    },
  ) {}

  /** Resolves once the row is committed. */
  write(db: Db, row: InboundRow): Promise<void> {
    let q = this.#queues.get(db);
    if (!q) {
      q = { waiting: [], inflight: 0 };
      this.#queues.set(db, q);
    }
    const done = new Promise<void>((resolve, reject) => q.waiting.push({ row, resolve, reject }));
    this.#pump(db, q);
    return done;
  }

  #pump(db: Db, q: Queue): void {
    while (q.inflight < this.o.maxInflight && q.waiting.length > 0) {
      const batch = q.waiting.splice(0, this.o.maxBatch);
      q.inflight++;
      void this.#flush(db, batch).finally(() => {
        q.inflight--;
        this.#pump(db, q);
      });
    }
  }

  async #flush(db: Db, batch: Pending[]): Promise<void> {
    try {
      await db.query(SQL, this.#params(batch.map((p) => p.row)));
      this.o.onCommit?.(batch.length);
      for (const p of batch) p.resolve();
    } catch (err) {
      // A connection failure fails them all (each deliver_sm gets a temporary error); anything else
      // is retried row by row so one bad row cannot refuse its neighbours.
      if (batch.length === 1 || isTransient(err)) {
        for (const p of batch) p.reject(err as Error);
        return;
      }
      for (const p of batch) await this.#flush(db, [p]);
    }
  }

  #params(rows: InboundRow[]): unknown[] {
    const col = <T>(f: (r: InboundRow) => T) => rows.map(f);
    const withContent = rows.filter((r) => r.content);
    const outbox = rows.flatMap((r) => r.outbox.map((o) => ({ r, o })));
    return [
      col((r) => r.id),
      col((r) => r.customerId),
      col((r) => r.createdAt.toISOString()),
      col((r) => r.sender),
      col((r) => r.recipient),
      col((r) => String(r.parts)),
      col((r) => r.encoding),
      col((r) => r.carrier),
      col((r) => r.media),
      col((r) => String(r.statusVersion)),
      col((r) => String(r.incomplete)),
      withContent.map((r) => r.id),
      withContent.map((r) => r.customerId),
      withContent.map((r) => r.createdAt.toISOString()),
      withContent.map((r) => hex(r.content!.bodyEnc)),
      withContent.map((r) => r.content!.mediaRefs),
      withContent.map((r) => r.content!.expiresAt.toISOString()),
      outbox.map(({ o }) => o.id),
      outbox.map(({ r }) => r.id),
      outbox.map(({ r }) => r.customerId),
      outbox.map(({ o }) => o.channel),
      outbox.map(({ o }) => o.target),
      this.o.instanceId,
      this.o.leaseMs,
      outbox.map(({ o }) => hex(o.payloadEnc)),
    ];
  }
}
