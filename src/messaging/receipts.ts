// Delivery receipts matched back to their message through shared state: the receipt may arrive on any
// bind of any instance, possibly before the submit_sm_resp that told us the aggregator's id.
//
//   sms:rcpt:<carrier>:<canonical id>   → the message it belongs to (written after submit_sm_resp)
//   sms:early:<carrier>:<canonical id>  → a receipt that found no message yet, held earlyTtlMs
//   sms:rparts:<message id>             → final status per part, until every part has reported
//   sms:rdone:<message id>              → set by the one instance that applies the final status
//
// An early receipt and its mapping meet whichever is written second: both sides write their own key
// and then take the other's with getDel, so exactly one of them applies the receipt.
//
// When the final status cannot be applied because the region database is unreachable, the parts'
// statuses stay in sms:rparts (shared state) and this instance retries applying them with backoff
// until the database is back; the receipt is still answered with a temporary error, so that an
// aggregator's retransmission finishes the job should this instance die meanwhile.
import type { Logger } from 'pino';
import { isTransient } from '../records/writer.js';
import type { SharedState } from '../state/index.js';
import type { Carrier } from '../plan/plan.repo.js';
import { canonicalReceiptId, canonicalRespId, type Receipt, type ReceiptIdFormat } from './receipt.js';
import type { MessagingMetrics } from './metrics.js';

export interface SentInfo {
  messageId: string;
  customerId: string;
  parts: number;
  submittedAt: number;
  carrier: string;
}

export type FinalStatus = 'delivered' | 'undelivered' | 'failed';

export type ApplyFinal = (info: SentInfo, status: FinalStatus, errorCode: string | null) => Promise<void>;

const FINAL = new Set(['delivered', 'undelivered', 'failed']);
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

export class ReceiptBook {
  readonly #retries = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly state: SharedState,
    private readonly apply: ApplyFinal,
    private readonly m: MessagingMetrics,
    private readonly log: Logger,
    private readonly ttlMs: number,
    private readonly earlyTtlMs: number,
  ) {}

  /** After submit_sm_resp: remembers each part's aggregator id and applies receipts that came early. */
  async remember(carrier: Carrier, smscIds: string[], info: SentInfo): Promise<void> {
    const value = JSON.stringify(info);
    for (const id of smscIds) {
      const canon = canonicalRespId(id);
      await this.state.set(`sms:rcpt:${carrier.id}:${canon}`, value, this.ttlMs);
      const early = await this.state.getDel(`sms:early:${carrier.id}:${canon}`);
      if (early) {
        this.m.receipts.inc({ aggregator: carrier.name, outcome: 'early' });
        await this.#record(info, canon, JSON.parse(early) as Receipt);
      }
    }
  }

  /** A receipt from any bind; resolves once it is applied or held durably in shared state. */
  async onReceipt(carrier: Carrier, receipt: Receipt): Promise<'matched' | 'held' | 'unmatched'> {
    const format = (carrier.settings.sms?.receiptIdFormat ?? 'as-is') as ReceiptIdFormat;
    const canon = canonicalReceiptId(receipt.id, format);
    if (!canon) {
      this.m.receipts.inc({ aggregator: carrier.name, outcome: 'unmatched' });
      this.log.warn(
        { aggregator: carrier.name, smscId: receipt.id },
        'receipt id not in the expected format',
      );
      return 'unmatched';
    }
    const key = `sms:rcpt:${carrier.id}:${canon}`;
    let found = await this.state.get(key);
    if (!found) {
      await this.state.set(`sms:early:${carrier.id}:${canon}`, JSON.stringify(receipt), this.earlyTtlMs);
      found = await this.state.get(key);
      // The mapping arrived meanwhile: whoever takes the early receipt applies it.
      if (!found || !(await this.state.getDel(`sms:early:${carrier.id}:${canon}`))) {
        this.log.info({ aggregator: carrier.name, smscId: receipt.id }, 'receipt before its message: held');
        return 'held';
      }
    }
    this.m.receipts.inc({ aggregator: carrier.name, outcome: 'matched' });
    await this.#record(JSON.parse(found) as SentInfo, canon, receipt);
    return 'matched';
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#retries.values()) clearTimeout(t);
    this.#retries.clear();
  }

  async #record(info: SentInfo, canon: string, receipt: Receipt): Promise<void> {
    if (!FINAL.has(receipt.status)) return;
    const n = await this.state.hashPut(
      `sms:rparts:${info.messageId}`,
      canon,
      JSON.stringify({ s: receipt.status, e: receipt.err ?? null }),
      this.ttlMs,
    );
    if (n < info.parts) return;
    await this.#finish(info);
  }

  /** Applies the final status once every part has reported; exactly one caller wins sms:rdone. */
  async #finish(info: SentInfo, retryInMs = RETRY_MIN_MS): Promise<void> {
    if (!(await this.state.setIfAbsent(`sms:rdone:${info.messageId}`, '1', this.ttlMs))) return;
    const parts = Object.values(await this.state.hashGetAll(`sms:rparts:${info.messageId}`)).map(
      (v) => JSON.parse(v) as { s: FinalStatus; e: string | null },
    );
    const status: FinalStatus = parts.every((p) => p.s === 'delivered')
      ? 'delivered'
      : parts.some((p) => p.s === 'failed')
        ? 'failed'
        : 'undelivered';
    const bad = parts.find((p) => p.s !== 'delivered');
    try {
      await this.apply(info, status, bad?.e ?? null);
    } catch (err) {
      // Let a retransmitted receipt, or our own retry, try again.
      await this.state.del(`sms:rdone:${info.messageId}`);
      if (isTransient(err)) this.#retryLater(info, retryInMs);
      throw err;
    }
    const pending = this.#retries.get(info.messageId);
    if (pending) clearTimeout(pending);
    this.#retries.delete(info.messageId);
    this.m.receiptLatency.observe({ aggregator: info.carrier }, (Date.now() - info.submittedAt) / 1000);
    await this.state.del(`sms:rparts:${info.messageId}`);
  }

  /** The region database is down: keep retrying the held status until it is applied. */
  #retryLater(info: SentInfo, delayMs: number): void {
    if (this.#stopped || this.#retries.has(info.messageId)) return;
    this.m.regionUnavailable.inc({ operation: 'receipt' });
    this.log.warn(
      { messageId: info.messageId, aggregator: info.carrier, retryInMs: delayMs },
      'region database unavailable: delivery receipt held, retrying',
    );
    const timer = setTimeout(() => {
      this.#retries.delete(info.messageId);
      // A transient failure re-arms the timer inside #finish; anything else is left to the
      // aggregator's retransmission.
      this.#finish(info, Math.min(delayMs * 2, RETRY_MAX_MS)).catch((err: Error) => {
        if (!isTransient(err))
          this.log.error({ messageId: info.messageId, err: err.message }, 'receipt retry failed');
      });
    }, delayMs);
    timer.unref();
    this.#retries.set(info.messageId, timer);
  }
}
