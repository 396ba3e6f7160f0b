// Outbound SMS: accepted by the API into the customer's region (MDR "queued" and a queue row in one
// transaction, answered 202 at once), then submitted by whichever instance holds the row's lease:
// the accepting instance starts at once; every instance polls for rows whose lease ran out (a crash)
// or whose retry is due. Aggregators are tried in plan order; a bind lost mid-flight is retried on
// another bind of the same aggregator (bind-pool.ts), then the next aggregator takes over; a
// permanent rejection also moves on. "Try again later" outcomes requeue until expireAfterMs.
import { randomInt, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config, Region } from '../config/index.js';
import type { Db, Queryable } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { NumberCache } from '../cache/number-cache.js';
import type { PlanCache } from '../plan/plan-cache.js';
import type { Carrier } from '../plan/plan.repo.js';
import type { Envelope } from '../crypto/index.js';
import { Errors } from '../platform/errors.js';
import { messageBodyContext } from '../content/content-refs.js';
import { contentExpiresAt } from '../retention/expiry.policy.js';
import { chooseAggregators } from './aggregators.js';
import { countParts, encodeMessage } from './encoding.js';
import { checkSender, SenderRuleError } from './sender-rules.js';
import type { BindPool } from './smpp/bind-pool.js';
import { NoBindAvailable } from './smpp/bind-pool.js';
import { SubmitRejected } from './smpp/bind.js';
import { isTemporary } from './smpp/raw-codec.js';
import { isTransient } from '../records/writer.js';
import { claimOutbound, insertMdr, updateMdrStatus, type OutboundRow } from './messages.repo.js';
import type { ReceiptBook, SentInfo } from './receipts.js';
import type { MessagingMetrics } from './metrics.js';
import type { Deliveries } from './deliveries.js';

export const MAX_TEXT = 1600;

export interface SendInput {
  from: string;
  to: string;
  text: string;
  statusCallbackUrl?: string;
  idempotencyKey?: string;
  campaignId?: string;
  dlt?: { entityId: string; templateId: string };
}

export interface Accepted {
  id: string;
  status: 'queued';
  parts: number;
  encoding: string;
  duplicate: boolean;
}

export interface OutboundDeps {
  config: Config['messaging'];
  safetyBufferHours: number;
  instanceId: string;
  router: RegionRouter;
  numbers: NumberCache;
  plan: PlanCache;
  envelope: Envelope;
  pool: BindPool;
  receipts: ReceiptBook;
  deliveries: Deliveries;
  m: MessagingMetrics;
  log: Logger;
}

const outboundContext = (id: string) => `message-outbound:${id}`;
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

export class OutboundService {
  #timer: NodeJS.Timeout | undefined;
  #active = 0;
  #stopped = false;
  readonly #running = new Set<Promise<void>>();

  constructor(private readonly d: OutboundDeps) {}

  async send(customerId: string, input: SendInput): Promise<Accepted> {
    const { d } = this;
    let check;
    try {
      check = checkSender({
        from: input.from,
        to: input.to,
        ...(input.campaignId ? { campaignId: input.campaignId } : {}),
        ...(input.dlt ? { dltEntityId: input.dlt.entityId, dltTemplateId: input.dlt.templateId } : {}),
      });
    } catch (err) {
      if (err instanceof SenderRuleError) {
        d.m.rejected.inc({ direction: 'outbound', reason: err.field });
        throw Errors.validation(err.message, { field: err.field });
      }
      throw err;
    }
    const owned = check.senderKind === 'number' ? d.numbers.get(check.from) : undefined;
    if (
      check.senderKind === 'number' &&
      (!owned || owned.customerId !== customerId || owned.status !== 'active')
    ) {
      d.m.rejected.inc({ direction: 'outbound', reason: 'from' });
      throw Errors.validation('from is not an active number of this customer', { field: 'from' });
    }
    if (input.text.length === 0 || input.text.length > MAX_TEXT)
      throw Errors.validation(`text must be 1-${MAX_TEXT} characters`, { field: 'text' });
    const count = countParts(input.text);

    const { region, db } = await d.router.forCustomer(customerId);
    try {
      return await this.#accept(db, region, customerId, input, check, count, owned);
    } catch (err) {
      // Nothing was accepted (the transaction did not commit) and nothing submitted: tell the client
      // to retry, rather than a 500.
      if (!isTransient(err)) throw err;
      d.m.regionUnavailable.inc({ operation: 'send' });
      d.log.warn({ region, err: (err as Error).message }, 'region database unavailable: message refused');
      throw Errors.unavailable(
        'the region database is unavailable; the message was not accepted, retry later',
      );
    }
  }

  async #accept(
    db: Db,
    region: Region,
    customerId: string,
    input: SendInput,
    check: ReturnType<typeof checkSender>,
    count: ReturnType<typeof countParts>,
    owned: ReturnType<NumberCache['get']>,
  ): Promise<Accepted> {
    const { d } = this;
    if (input.idempotencyKey) {
      const existing = await this.#byKey(db, customerId, input.idempotencyKey);
      if (existing) return existing;
    }
    const id = randomUUID();
    const createdAt = new Date();
    const bodyEnc = await d.envelope.seal(region, Buffer.from(input.text, 'utf8'), outboundContext(id));
    const keep = owned?.messaging.keepContent ? owned : undefined;
    const bodyKept = keep
      ? await d.envelope.seal(region, Buffer.from(input.text, 'utf8'), messageBodyContext(id))
      : undefined;
    try {
      await db.tx(async (q) => {
        await insertMdr(q, {
          id,
          customerId,
          createdAt,
          direction: 'outbound',
          sender: check.from,
          recipient: check.to,
          parts: count.parts,
          encoding: count.encoding,
          status: 'queued',
          carrier: null,
          media: null,
        });
        await q.query(
          `INSERT INTO sms_outbound (message_id, customer_id, created_at, idempotency_key, sender, recipient,
             body_enc, tlvs, callback_url, state, next_attempt_at, locked_by, locked_until, attempts)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, 'queued', now(), $10,
             now() + make_interval(secs => $11::float8 / 1000), 1)`,
          [
            id,
            customerId,
            createdAt,
            input.idempotencyKey ?? null,
            check.from,
            check.to,
            bodyEnc,
            JSON.stringify(check.tlvs),
            input.statusCallbackUrl ?? null,
            d.instanceId,
            d.config.outbound.leaseMs,
          ],
        );
        if (keep && bodyKept)
          await q.query(
            `INSERT INTO message_content (message_id, customer_id, created_at, body_enc, expires_at)
             VALUES ($1, $2, $3, $4, $5)`,
            [
              id,
              customerId,
              createdAt,
              bodyKept,
              contentExpiresAt(createdAt, keep.retention, d.safetyBufferHours),
            ],
          );
      });
    } catch (err) {
      if (input.idempotencyKey && isUniqueViolation(err)) {
        const existing = await this.#byKey(db, customerId, input.idempotencyKey);
        if (existing) return existing;
      }
      throw err;
    }
    d.m.messages.inc({ direction: 'outbound', aggregator: 'none', status: 'queued' });
    d.log.info({ messageId: id, parts: count.parts, encoding: count.encoding }, 'outbound message accepted');
    const row: OutboundRow = {
      message_id: id,
      customer_id: customerId,
      created_at: createdAt,
      sender: check.from,
      recipient: check.to,
      body_enc: bodyEnc,
      tlvs: check.tlvs,
      callback_url: input.statusCallbackUrl ?? null,
      attempts: 1,
    };
    this.#track(this.#dispatch(db, region, row));
    return { id, status: 'queued', parts: count.parts, encoding: count.encoding, duplicate: false };
  }

  async #byKey(db: Db, customerId: string, key: string): Promise<Accepted | undefined> {
    const { rows } = await db.query<{ message_id: string; parts: number; encoding: string }>(
      `SELECT o.message_id, m.parts, m.encoding FROM sms_outbound o JOIN mdrs m ON m.id = o.message_id
        WHERE o.customer_id = $1 AND o.idempotency_key = $2`,
      [customerId, key],
    );
    const r = rows[0];
    return r
      ? { id: r.message_id, status: 'queued', parts: r.parts, encoding: r.encoding, duplicate: true }
      : undefined;
  }

  start(): void {
    const tick = async () => {
      if (this.#stopped) return;
      try {
        await this.poll();
      } catch (err) {
        if (isTransient(err)) this.d.m.regionUnavailable.inc({ operation: 'outbound_poll' });
        this.d.log.warn({ err: (err as Error).message }, 'outbound poll failed');
      }
      if (!this.#stopped) this.#timer = setTimeout(tick, this.d.config.outbound.pollIntervalMs);
    };
    this.#timer = setTimeout(tick, this.d.config.outbound.pollIntervalMs);
  }

  /** Claims due rows in every served region and submits them. */
  async poll(): Promise<void> {
    const { d } = this;
    for (const { db } of d.router.distinctDatabases()) {
      const room = d.config.outbound.concurrency - this.#active;
      if (room <= 0) return;
      const rows = await claimOutbound(
        db,
        d.instanceId,
        Math.min(room, d.config.outbound.batchSize),
        d.config.outbound.leaseMs,
      );
      for (const row of rows) {
        const region = await d.router.regionOfCustomer(row.customer_id);
        if (region) this.#track(this.#dispatch(db, region, row));
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await Promise.allSettled([...this.#running]);
  }

  #track(p: Promise<void>): void {
    this.#active++;
    const done = p
      .catch((err: Error) => this.d.log.error({ err: err.message }, 'outbound dispatch failed'))
      .finally(() => {
        this.#active--;
        this.#running.delete(done);
      });
    this.#running.add(done);
  }

  async #dispatch(db: Db, region: Region, row: OutboundRow): Promise<void> {
    const { d } = this;
    const id = row.message_id;
    if (!row.body_enc) return;
    const text = (await d.envelope.open(row.body_enc, outboundContext(id))).toString('utf8');
    const carriers = chooseAggregators(d.plan.snapshot, row.recipient, region);
    let temporary = carriers.length === 0;
    let errorCode = carriers.length === 0 ? 'no_route' : null;
    let possibleDuplicate = false;
    for (const carrier of carriers) {
      const started = Date.now();
      try {
        const encoded = encodeMessage(text, randomInt(256));
        const ids: string[] = [];
        for (const part of encoded.parts) {
          const r = await d.pool.submit(carrier.id, this.#params(row, part), d.config.outbound.submitWaitMs);
          ids.push(r.smscId);
          if (r.respLost) {
            possibleDuplicate = true;
            d.m.resubmitted.inc({ aggregator: carrier.name });
            d.log.warn({ messageId: id, aggregator: carrier.name }, 'submit_sm_resp lost: submitted again');
          }
        }
        d.m.submitLatency.observe({ aggregator: carrier.name }, (Date.now() - started) / 1000);
        await this.#submitted(db, region, row, carrier, ids, possibleDuplicate);
        return;
      } catch (err) {
        if (err instanceof SubmitRejected) {
          temporary ||= isTemporary(err.status);
          errorCode = `smpp:0x${err.status.toString(16).padStart(8, '0')}`;
          d.m.failovers.inc({ aggregator: carrier.name, reason: 'rejected' });
          d.log.warn({ messageId: id, aggregator: carrier.name, status: err.status }, 'submit_sm rejected');
        } else if (err instanceof NoBindAvailable) {
          temporary = true;
          errorCode ??= 'no_bind';
          possibleDuplicate ||= Boolean((err as NoBindAvailable & { respLost?: boolean }).respLost);
          d.m.failovers.inc({ aggregator: carrier.name, reason: 'no_bind' });
          d.log.warn({ messageId: id, aggregator: carrier.name }, 'no bound bind: next aggregator');
        } else throw err;
      }
    }
    const expired = Date.now() - row.created_at.getTime() > d.config.outbound.expireAfterMs;
    if (temporary && !expired) {
      await db.query(
        `UPDATE sms_outbound SET locked_by = NULL, locked_until = NULL, last_error = $2,
           next_attempt_at = now() + make_interval(secs => $3::float8 / 1000) WHERE message_id = $1`,
        [id, errorCode, d.config.outbound.retryMs],
      );
      d.log.info({ messageId: id, error: errorCode }, 'outbound message requeued');
      return;
    }
    await db.tx(async (q) => {
      await q.query(
        `UPDATE sms_outbound SET state = 'failed', body_enc = NULL, locked_by = NULL, last_error = $2 WHERE message_id = $1`,
        [id, errorCode],
      );
      await updateMdrStatus(q, id, 'failed', { errorCode, doneAt: new Date(), possibleDuplicate });
      await this.#callback(q, region, row, 'failed', errorCode);
    });
    d.m.messages.inc({ direction: 'outbound', aggregator: 'none', status: 'failed' });
    d.log.warn({ messageId: id, error: errorCode }, 'outbound message failed');
    d.deliveries.kick();
  }

  #params(row: OutboundRow, part: { bytes: Buffer; dataCoding: number; esmClass: number }) {
    const alpha = !row.sender.startsWith('+');
    return {
      source_addr_ton: alpha ? 5 : 1,
      source_addr_npi: alpha ? 0 : 1,
      source_addr: alpha ? row.sender : row.sender.slice(1),
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: row.recipient.slice(1),
      esm_class: part.esmClass,
      data_coding: part.dataCoding,
      registered_delivery: 1,
      short_message: part.bytes,
      ...row.tlvs,
    };
  }

  async #submitted(
    db: Db,
    region: Region,
    row: OutboundRow,
    carrier: Carrier,
    smscIds: string[],
    possibleDuplicate: boolean,
  ): Promise<void> {
    const { d } = this;
    const now = new Date();
    await db.tx(async (q) => {
      await q.query(
        `UPDATE sms_outbound SET state = 'submitted', body_enc = NULL, locked_by = NULL, smsc_ids = $2::jsonb
          WHERE message_id = $1`,
        [row.message_id, JSON.stringify(smscIds)],
      );
      await updateMdrStatus(q, row.message_id, 'sent', {
        carrier: carrier.name,
        submittedAt: now,
        possibleDuplicate,
      });
      await this.#callback(q, region, row, 'sent', null);
    });
    d.m.messages.inc({ direction: 'outbound', aggregator: carrier.name, status: 'sent' });
    const info: SentInfo = {
      messageId: row.message_id,
      customerId: row.customer_id,
      parts: smscIds.length,
      submittedAt: now.getTime(),
      carrier: carrier.name,
    };
    await d.receipts.remember(carrier, smscIds, info);
    d.deliveries.kick();
  }

  async #callback(q: Queryable, region: Region, row: OutboundRow, status: string, errorCode: string | null) {
    if (!row.callback_url) return;
    await this.d.deliveries.enqueue(q, region, {
      messageId: row.message_id,
      customerId: row.customer_id,
      channel: 'webhook',
      event: `message.status.${status}`,
      target: row.callback_url,
      payload: {
        event: 'message.status',
        id: row.message_id,
        status,
        errorCode,
        from: row.sender,
        to: row.recipient,
        at: new Date().toISOString(),
      },
    });
  }

  /** A final receipt: MDR status and the status callback, in one transaction. */
  async applyFinal(info: SentInfo, status: 'delivered' | 'undelivered' | 'failed', errorCode: string | null) {
    const { d } = this;
    const { region, db } = await d.router.forCustomer(info.customerId);
    await db.tx(async (q) => {
      const moved = await updateMdrStatus(q, info.messageId, status, { errorCode, doneAt: new Date() });
      if (!moved) return;
      const { rows } = await q.query<OutboundRow>(
        `SELECT message_id, customer_id, created_at, sender, recipient, body_enc, tlvs, callback_url, attempts
           FROM sms_outbound WHERE message_id = $1`,
        [info.messageId],
      );
      if (rows[0]) await this.#callback(q, region, rows[0], status, errorCode);
    });
    d.m.messages.inc({ direction: 'outbound', aggregator: info.carrier, status });
    d.log.info({ messageId: info.messageId, status }, 'delivery receipt applied');
    d.deliveries.kick();
  }
}
