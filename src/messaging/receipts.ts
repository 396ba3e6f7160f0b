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
import type { Logger } from 'pino';
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

export class ReceiptBook {
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

  async #record(info: SentInfo, canon: string, receipt: Receipt): Promise<void> {
    if (!FINAL.has(receipt.status)) return;
    const n = await this.state.hashPut(
      `sms:rparts:${info.messageId}`,
      canon,
      JSON.stringify({ s: receipt.status, e: receipt.err ?? null }),
      this.ttlMs,
    );
    if (n < info.parts) return;
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
      // Let a retransmitted receipt try again.
      await this.state.del(`sms:rdone:${info.messageId}`);
      throw err;
    }
    this.m.receiptLatency.observe({ aggregator: info.carrier }, (Date.now() - info.submittedAt) / 1000);
    await this.state.del(`sms:rparts:${info.messageId}`);
  }
}
