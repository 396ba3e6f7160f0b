// Delivery to customers, at least once: every delivery (inbound message to a webhook or a mail box,
// status callback) is a row of message_outbox written in the transaction of the MDR it reports. The
// instance that wrote it attempts it at once; otherwise (a failure, a crash) any instance picks it up
// when it is due. Retries back off exponentially with jitter; after deadAfterMs the row is
// dead-lettered (state 'dead', visible in the API). Every attempt carries the same message id, so
// customers de-duplicate on it.
//
// Webhooks: POST JSON, headers Webhook-Id / Idempotency-Key (the message id), Webhook-Event,
// Webhook-Timestamp, Webhook-Signature (signing.ts). Mail: nodemailer over SMTP, MMS media attached
// up to attachMaxBytes in total, linked (signed short-lived URLs) beyond.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Config, Region } from '../config/index.js';
import type { Db, Queryable } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Envelope, UrlSigner } from '../crypto/index.js';
import type { ObjectStore } from '../objects/index.js';
import { mediaContext, mediaItems } from '../content/content-refs.js';
import { claimOutbox, insertOutbox, type OutboxRow } from './messages.repo.js';
import { signPayload, customerSigningKey } from './signing.js';
import type { MessagingMetrics } from './metrics.js';
import { WebhookClient } from './http-post.js';
import { isTransient } from '../records/writer.js';

export interface DeliveryRequest {
  messageId: string;
  customerId: string;
  channel: 'webhook' | 'mail';
  event: string;
  target: string;
  payload: Record<string, unknown>;
}

/** A delivery this instance claimed when writing it, to attempt right after the commit. */
export interface Claimed {
  row: OutboxRow;
  region: Region;
  payload: Record<string, unknown>;
}

export interface DeliveryDeps {
  config: Config['messaging'];
  publicBaseUrl: () => string;
  instanceId: string;
  router: RegionRouter;
  envelope: Envelope;
  signer: UrlSigner;
  objects: ObjectStore;
  signingKey: Buffer;
  m: MessagingMetrics;
  log: Logger;
}

const outboxContext = (id: string) => `message-outbox:${id}`;

export class Deliveries {
  #timer: NodeJS.Timeout | undefined;
  #kickTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #polling = false;
  #active = 0;
  readonly #running = new Set<Promise<void>>();
  readonly #mail: Transporter;
  readonly #http: WebhookClient;
  readonly #delivered = new Map<
    Db,
    { ids: string[]; done: Promise<void>; timer: NodeJS.Timeout | undefined }
  >();

  constructor(private readonly d: DeliveryDeps) {
    this.#http = new WebhookClient(d.config.delivery.concurrency);
    const mc = d.config.mail;
    this.#mail = nodemailer.createTransport({
      host: mc.host,
      port: mc.port,
      secure: mc.secure,
      ...(mc.user && mc.password ? { auth: { user: mc.user, pass: mc.password.reveal() } } : {}),
      // Never log message content (nodemailer's own logger is off by default; keep it so).
      logger: false,
    });
  }

  signingKeyOf(customerId: string): string {
    return customerSigningKey(this.d.signingKey, customerId);
  }

  /** Seals a delivery's payload and builds its row, claimed by this instance; the caller inserts it. */
  async prepare(region: Region, r: DeliveryRequest): Promise<Claimed> {
    const id = randomUUID();
    const payloadEnc = await this.d.envelope.seal(
      region,
      Buffer.from(JSON.stringify(r.payload)),
      outboxContext(id),
    );
    return {
      region,
      payload: r.payload,
      row: {
        id,
        message_id: r.messageId,
        customer_id: r.customerId,
        channel: r.channel,
        event: r.event,
        target: r.target,
        payload_enc: payloadEnc,
        attempts: 1,
        created_at: new Date(),
      },
    };
  }

  /** Writes a delivery in the caller's transaction; with `claim`, this instance attempts it after commit. */
  async enqueue(
    q: Queryable,
    region: Region,
    r: DeliveryRequest,
    claim = false,
  ): Promise<Claimed | undefined> {
    const prepared = await this.prepare(region, r);
    const { row } = prepared;
    const inserted = await insertOutbox(q, {
      id: row.id,
      messageId: row.message_id,
      customerId: row.customer_id,
      channel: row.channel,
      event: row.event,
      target: row.target,
      payloadEnc: row.payload_enc as Buffer, // prepare() always seals the payload
      ...(claim ? { lockedBy: this.d.instanceId, leaseMs: this.d.config.delivery.leaseMs } : {}),
    });
    return inserted && claim ? prepared : undefined;
  }

  /** Attempts deliveries claimed at write time (after their transaction committed). */
  runNow(db: Db, claimed: Claimed[]): void {
    for (const c of claimed) this.#track(this.#attempt(db, c.region, c.row, c.payload));
  }

  start(): void {
    const tick = async () => {
      if (this.#stopped) return;
      await this.poll();
      if (!this.#stopped) this.#timer = setTimeout(tick, this.d.config.delivery.pollIntervalMs);
    };
    this.#timer = setTimeout(tick, this.d.config.delivery.pollIntervalMs);
  }

  /** Polls soon (status callbacks written by another path). */
  kick(): void {
    if (this.#kickTimer || this.#stopped) return;
    this.#kickTimer = setTimeout(() => {
      this.#kickTimer = undefined;
      void this.poll();
    }, 5);
  }

  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    const { d } = this;
    try {
      for (const { db } of d.router.distinctDatabases()) {
        const room = d.config.delivery.concurrency - this.#active;
        if (room > 0) {
          const rows = await claimOutbox(db, d.instanceId, room, d.config.delivery.leaseMs);
          for (const row of rows) {
            const region = await d.router.regionOfCustomer(row.customer_id);
            if (region) this.#track(this.#attempt(db, region, row));
          }
        }
        const { rows: oldest } = await db.query<{ channel: string; age: number }>(
          `SELECT channel, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age
             FROM message_outbox WHERE state = 'pending' GROUP BY channel`,
        );
        for (const ch of ['webhook', 'mail'])
          d.m.oldestUndelivered.set({ channel: ch }, Number(oldest.find((o) => o.channel === ch)?.age ?? 0));
      }
    } catch (err) {
      if (isTransient(err)) d.m.regionUnavailable.inc({ operation: 'delivery_poll' });
      d.log.warn({ err: (err as Error).message }, 'delivery poll failed');
    } finally {
      this.#polling = false;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#kickTimer);
    await Promise.allSettled([...this.#running]);
    this.#mail.close();
    this.#http.close();
  }

  #track(p: Promise<void>): void {
    this.#active++;
    const done = p
      .catch((err: Error) => this.d.log.error({ err: err.message }, 'delivery bookkeeping failed'))
      .finally(() => {
        this.#active--;
        this.#running.delete(done);
      });
    this.#running.add(done);
  }

  async #attempt(db: Db, region: Region, row: OutboxRow, cached?: Record<string, unknown>): Promise<void> {
    const { d } = this;
    let error: string | undefined;
    try {
      if (!row.payload_enc && !cached) throw new Error('payload gone');
      const payload =
        cached ??
        (JSON.parse(
          (await d.envelope.open(row.payload_enc as Buffer, outboxContext(row.id))).toString('utf8'),
        ) as Record<string, unknown>);
      if (row.channel === 'webhook') await this.#webhook(row, region, payload);
      else await this.#sendMail(row, region, payload);
    } catch (err) {
      error = (err as Error).message.slice(0, 300);
    }
    if (error === undefined) {
      await this.#markDelivered(db, row.id);
      d.m.deliveryAttempts.inc({ channel: row.channel, outcome: 'delivered' });
      d.m.deliveryLatency.observe({ channel: row.channel }, (Date.now() - row.created_at.getTime()) / 1000);
      d.log.info(
        { messageId: row.message_id, channel: row.channel, attempt: row.attempts },
        'delivered to customer',
      );
      return;
    }
    d.m.deliveryAttempts.inc({ channel: row.channel, outcome: 'failed' });
    const c = d.config.delivery;
    const base = Math.min(c.retryMaxMs, c.retryBaseMs * 2 ** Math.max(0, row.attempts - 1));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    const dead = Date.now() + delay - row.created_at.getTime() > c.deadAfterMs;
    if (dead) {
      await db.query(
        `UPDATE message_outbox SET state = 'dead', payload_enc = NULL, locked_by = NULL, locked_until = NULL,
           last_error = $2 WHERE id = $1`,
        [row.id, error],
      );
      d.m.deliveryDead.inc({ channel: row.channel });
      d.log.error(
        { messageId: row.message_id, channel: row.channel, attempts: row.attempts, error },
        'delivery dead-lettered',
      );
      return;
    }
    await db.query(
      `UPDATE message_outbox SET locked_by = NULL, locked_until = NULL, last_error = $2,
         next_attempt_at = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1`,
      [row.id, error, delay],
    );
    d.log.warn(
      { messageId: row.message_id, channel: row.channel, attempt: row.attempts, error, retryMs: delay },
      'delivery failed: will retry',
    );
  }

  /**
   * Successful deliveries are marked in batches (one UPDATE per ~20 ms per database instead of one
   * per message: half the statements of the hot path). A crash before the flush only means the
   * delivery is attempted again after its lease: at least once, with the same message id.
   */
  #markDelivered(db: Db, id: string): Promise<void> {
    let batch = this.#delivered.get(db);
    if (!batch) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const created = { ids: [] as string[], done, timer: undefined as NodeJS.Timeout | undefined };
      created.timer = setTimeout(() => {
        this.#delivered.delete(db);
        db.query(
          `UPDATE message_outbox SET state = 'delivered', payload_enc = NULL, delivered_at = now(),
             locked_by = NULL, locked_until = NULL, last_error = NULL WHERE id = ANY($1::uuid[])`,
          [created.ids],
        ).then(() => resolve(), reject);
      }, 20);
      batch = created;
      this.#delivered.set(db, batch);
    }
    batch.ids.push(id);
    return batch.done;
  }

  /** Signed short-lived links to the media of a message (payload.media: [{index, mimeType, size}]). */
  #mediaLinks(region: Region, payload: Record<string, unknown>) {
    const media = (payload.media as { index: number; mimeType: string; size: number }[] | undefined) ?? [];
    return media.map((m) => ({
      ...m,
      url: `${this.d.publicBaseUrl()}/v1/content-links?token=${this.d.signer.sign(
        { kind: 'media', region, id: `${String(payload.id)}/${m.index}` },
        this.d.config.mms.linkTtlSeconds,
      )}`,
    }));
  }

  async #webhook(row: OutboxRow, region: Region, payload: Record<string, unknown>): Promise<void> {
    const out = payload.media ? { ...payload, media: this.#mediaLinks(region, payload) } : payload;
    const body = JSON.stringify(out);
    const ts = Math.floor(Date.now() / 1000);
    const status = await this.#http.post(
      row.target,
      {
        'content-type': 'application/json',
        'webhook-id': row.message_id,
        'idempotency-key': row.message_id,
        'webhook-event': String(payload.event),
        'webhook-timestamp': String(ts),
        'webhook-signature': signPayload(this.signingKeyOf(row.customer_id), ts, body),
      },
      body,
      this.d.config.delivery.timeoutMs,
    );
    if (status < 200 || status >= 300) throw new Error(`webhook answered ${status}`);
  }

  async #sendMail(row: OutboxRow, region: Region, payload: Record<string, unknown>): Promise<void> {
    const { d } = this;
    const media = (payload.media as { index: number; mimeType: string; size: number }[] | undefined) ?? [];
    const total = media.reduce((n, m) => n + m.size, 0);
    const attachments: { filename: string; content: Buffer; contentType: string }[] = [];
    let links: string[] = [];
    if (media.length && total <= d.config.mail.attachMaxBytes) {
      const { rows } = await d.router
        .region(region)
        .query<{ media: unknown }>(
          'SELECT media FROM message_content WHERE message_id = $1 AND deleted_at IS NULL',
          [row.message_id],
        );
      const items = mediaItems(rows[0]?.media);
      for (const [i, item] of items.entries()) {
        const sealed = await d.objects.get(region, item.objectKey);
        const content = await d.envelope.open(sealed, mediaContext(row.message_id, item.objectKey));
        attachments.push({ filename: item.filename ?? `media-${i}`, content, contentType: item.mimeType });
      }
    } else if (media.length) links = this.#mediaLinks(region, payload).map((m) => m.url);
    const text = [String(payload.text ?? ''), ...links].filter(Boolean).join('\n\n');
    await this.#mail.sendMail({
      from: d.config.mail.from,
      to: row.target,
      subject: `${payload.event === 'message.received' ? 'Message' : 'Status'} from ${String(payload.from)} to ${String(payload.to)}`,
      text,
      messageId: `<${row.message_id}@messages>`,
      headers: { 'X-Message-Id': row.message_id, 'Idempotency-Key': row.message_id },
      attachments,
    });
  }
}
