// Inbound SMS from deliver_sm (and receipts, which arrive the same way).
//
//   1. A receipt (esm_class) goes to the receipt book.
//   2. The destination is normalised to E.164 and looked up in the number cache; a number we do not
//      serve is refused with ESME_RINVDSTADR.
//   3. Text: message_payload if present, else short_message; decoded per data_coding, UDH stripped.
//   4. A part of a concatenated message (UDH 8/16-bit reference or sar_* TLVs) is sealed and stored in
//      shared state under source, destination, reference and part count, so parts may arrive on any
//      bind of any instance. The instance that stores the last part assembles the message; every
//      instance that holds a part arms a timer, and when it fires the first to claim the assembly
//      delivers what arrived, marked incomplete.
//   5. The message is recorded (MDR, sealed body when the number keeps content, outbox rows for its
//      webhook and mail) in one transaction in the customer's region; only then is deliver_sm
//      answered. A failure answers ESME_RX_T_APPN so the aggregator retries.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type * as smpp from 'smpp';
import type { Config } from '../config/index.js';
import type { RegionRouter } from '../store/region-router.js';
import type { NumberCache } from '../cache/number-cache.js';
import type { NumberEntry } from '../accounts/number-settings.js';
import type { PlanCache } from '../plan/plan-cache.js';
import type { Envelope } from '../crypto/index.js';
import type { SharedState } from '../state/index.js';
import { messageBodyContext } from '../content/content-refs.js';
import { contentExpiresAt } from '../retention/expiry.policy.js';
import { decodeShortMessage, decodeText, type Concat } from './encoding.js';
import { isReceipt, parseReceipt } from './receipt.js';
import { SMPP_STATUS } from './smpp/raw-codec.js';
import type { Bind } from './smpp/bind.js';
import type { ReceiptBook } from './receipts.js';
import { STATUS_VERSION } from './messages.repo.js';
import { isTransient } from '../records/writer.js';
import { InboundWriter } from './inbound-writer.js';
import type { Claimed, Deliveries } from './deliveries.js';
import type { MessagingMetrics } from './metrics.js';

export interface InboundDeps {
  config: Config['messaging'];
  safetyBufferHours: number;
  instanceId: string;
  router: RegionRouter;
  numbers: NumberCache;
  plan: PlanCache;
  envelope: Envelope;
  state: SharedState;
  receipts: ReceiptBook;
  deliveries: Deliveries;
  m: MessagingMetrics;
  log: Logger;
}

export interface InboundMessage {
  entry: NumberEntry;
  sender: string;
  text: string;
  parts: number;
  encoding: string;
  carrier: string | null;
  incomplete?: boolean;
  media?: { index: number; objectKey: string; size: number; mimeType: string; filename?: string }[];
  /** Fixed by the caller when media objects were stored under it already. */
  id?: string;
}

const partContext = (key: string, seq: number) => `message-part:${key}:${seq}`;

/** E.164 from an address as aggregators write it: with or without '+', or with a 00 prefix. */
export function toE164(addr: string): string | undefined {
  const digits = addr.trim().replace(/^\+/, '').replace(/^00/, '');
  return /^[1-9][0-9]{5,14}$/.test(digits) ? `+${digits}` : undefined;
}

function encodingName(dataCoding: number): string {
  const dc = dataCoding & 0xff;
  if (dc === 8) return 'ucs2';
  if (dc === 3) return 'latin1';
  if (dc === 1) return 'ascii';
  return 'gsm7';
}

export class InboundService {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #writer: InboundWriter;

  constructor(private readonly d: InboundDeps) {
    this.#writer = new InboundWriter({
      instanceId: d.instanceId,
      leaseMs: d.config.delivery.leaseMs,
      maxBatch: 200,
      maxInflight: 2,
      onCommit: (rows) => d.m.inboundBatchRows.observe(rows),
    });
  }

  stop(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  /** The deliver_sm handler of every bind; resolves with the command_status to answer. */
  onDeliver = async (pdu: smpp.PDU, bind: Bind): Promise<number> => {
    const { d } = this;
    const carrier = d.plan.snapshot.carriers.get(bind.opts.carrierId);
    const esm = Number(pdu.esm_class ?? 0);
    const dataCoding = Number(pdu.data_coding ?? 0);
    const payload = pdu.message_payload as Buffer | undefined;
    const short = (pdu.short_message as Buffer | undefined) ?? Buffer.alloc(0);
    const bytes = payload && payload.length ? payload : short;

    if (isReceipt(esm)) {
      const receipt = parseReceipt({
        text: bytes.toString('latin1'),
        ...(pdu.receipted_message_id !== undefined
          ? { receiptedMessageId: String(pdu.receipted_message_id) }
          : {}),
        ...(pdu.message_state !== undefined ? { messageState: Number(pdu.message_state) } : {}),
        ...(pdu.network_error_code instanceof Buffer ? { networkErrorCode: pdu.network_error_code } : {}),
      });
      if (!receipt || !carrier) {
        d.log.warn({ bind: bind.name }, 'unparseable delivery receipt');
        return SMPP_STATUS.ESME_ROK;
      }
      await d.receipts.onReceipt(carrier, receipt);
      return SMPP_STATUS.ESME_ROK;
    }

    const to = toE164(String(pdu.destination_addr ?? ''));
    const entry = to ? d.numbers.get(to) : undefined;
    if (!entry || entry.status !== 'active') {
      d.m.rejected.inc({ direction: 'inbound', reason: 'unknown_number' });
      d.log.warn({ bind: bind.name }, 'deliver_sm to a number we do not serve');
      return SMPP_STATUS.ESME_RINVDSTADR;
    }
    const sender = toE164(String(pdu.source_addr ?? '')) ?? String(pdu.source_addr ?? '').slice(0, 32);
    let text: string;
    let concat: Concat | undefined;
    try {
      if (payload && payload.length) text = decodeText(payload, dataCoding);
      else ({ text, concat } = decodeShortMessage(short, dataCoding, esm));
    } catch (err) {
      d.m.rejected.inc({ direction: 'inbound', reason: 'malformed' });
      d.log.warn({ bind: bind.name, err: (err as Error).message }, 'deliver_sm with a malformed UDH');
      return SMPP_STATUS.ESME_RINVMSGLEN;
    }
    if (!concat && pdu.sar_msg_ref_num !== undefined)
      concat = {
        ref: Number(pdu.sar_msg_ref_num),
        total: Number(pdu.sar_total_segments),
        seq: Number(pdu.sar_segment_seqnum),
      };
    const base = { entry, sender, carrier: carrier?.name ?? null, encoding: encodingName(dataCoding) };
    if (!concat || concat.total <= 1) {
      await this.record({ ...base, text, parts: 1 });
      return SMPP_STATUS.ESME_ROK;
    }
    if (concat.seq < 1 || concat.seq > concat.total) {
      d.m.rejected.inc({ direction: 'inbound', reason: 'malformed' });
      return SMPP_STATUS.ESME_RINVMSGLEN;
    }
    await this.#part(
      `${bind.opts.carrierId}:${sender}:${to}:${concat.ref}:${concat.total}`,
      concat,
      text,
      base,
    );
    return SMPP_STATUS.ESME_ROK;
  };

  async #part(
    key: string,
    concat: Concat,
    text: string,
    base: Omit<InboundMessage, 'text' | 'parts'>,
  ): Promise<void> {
    const { d } = this;
    const ttl = d.config.inbound.reassemblyTimeoutMs * 3 + 60_000;
    const sealed = await d.envelope.seal(
      base.entry.region,
      Buffer.from(text, 'utf8'),
      partContext(key, concat.seq),
    );
    const n = await d.state.hashPut(`sms:parts:${key}`, String(concat.seq), sealed.toString('base64'), ttl);
    d.m.inboundParts.inc({ outcome: 'stored' });
    if (n >= concat.total) {
      await this.#assemble(key, concat.total, base);
      return;
    }
    if (!this.#timers.has(key)) {
      const timer = setTimeout(() => {
        this.#timers.delete(key);
        this.#assemble(key, concat.total, base).catch((err: Error) =>
          d.log.error({ err: err.message }, 'reassembly after timeout failed'),
        );
      }, d.config.inbound.reassemblyTimeoutMs);
      timer.unref();
      this.#timers.set(key, timer);
    }
  }

  async #assemble(key: string, total: number, base: Omit<InboundMessage, 'text' | 'parts'>): Promise<void> {
    const { d } = this;
    const ttl = d.config.inbound.reassemblyTimeoutMs * 3 + 60_000;
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
    if (!(await d.state.setIfAbsent(`sms:asm:${key}`, d.instanceId, ttl))) return;
    try {
      const stored = await d.state.hashGetAll(`sms:parts:${key}`);
      const seqs = Object.keys(stored)
        .map(Number)
        .sort((a, b) => a - b);
      let text = '';
      for (const seq of seqs)
        text += (
          await d.envelope.open(Buffer.from(stored[String(seq)] as string, 'base64'), partContext(key, seq))
        ).toString('utf8');
      const incomplete = seqs.length < total;
      if (incomplete) d.m.inboundParts.inc({ outcome: 'incomplete' }, total - seqs.length);
      await this.record({ ...base, text, parts: seqs.length, ...(incomplete ? { incomplete } : {}) });
      await d.state.del(`sms:parts:${key}`);
    } catch (err) {
      // Not recorded: let the next part, or the timer, try again.
      await d.state.del(`sms:asm:${key}`);
      throw err;
    }
  }

  /** Records an inbound message and its deliveries in one transaction, then attempts them. */
  async record(msg: InboundMessage): Promise<string> {
    const { d } = this;
    const { entry } = msg;
    const id = msg.id ?? randomUUID();
    const createdAt = new Date();
    const { region, db } = await d.router.forCustomer(entry.customerId);
    const settings = entry.messaging;
    const body =
      settings.keepContent && msg.text
        ? await d.envelope.seal(region, Buffer.from(msg.text, 'utf8'), messageBodyContext(id))
        : null;
    const media = msg.media ?? [];
    const payload = {
      event: 'message.received',
      id,
      from: msg.sender,
      to: entry.e164,
      text: msg.text,
      parts: msg.parts,
      encoding: msg.encoding,
      incomplete: msg.incomplete ?? false,
      receivedAt: createdAt.toISOString(),
      ...(media.length
        ? { media: media.map((m) => ({ index: m.index, mimeType: m.mimeType, size: m.size })) }
        : {}),
    };
    const common = { messageId: id, customerId: entry.customerId, event: 'message.received', payload };
    const webhook = settings.webhookUrl
      ? await d.deliveries.prepare(region, { ...common, channel: 'webhook', target: settings.webhookUrl })
      : undefined;
    const mail = settings.email
      ? await d.deliveries.prepare(region, { ...common, channel: 'mail', target: settings.email })
      : undefined;
    const mediaRefs = media.map((m) => ({
      objectKey: m.objectKey,
      size: m.size,
      mimeType: m.mimeType,
      ...(m.filename ? { filename: m.filename } : {}),
    }));
    // One statement (atomic on its own) holds the MDR, the kept content and the pre-claimed
    // deliveries; concurrent messages share it (inbound-writer.ts).
    try {
      await this.#writer.write(db, {
        id,
        customerId: entry.customerId,
        createdAt,
        sender: msg.sender,
        recipient: entry.e164,
        parts: msg.parts,
        encoding: msg.encoding,
        carrier: msg.carrier,
        media: media.length
          ? JSON.stringify(media.map((m) => ({ size: m.size, mimeType: m.mimeType })))
          : null,
        statusVersion: STATUS_VERSION.received,
        incomplete: msg.incomplete ?? false,
        content:
          body || media.length
            ? {
                bodyEnc: body,
                mediaRefs: JSON.stringify(mediaRefs),
                expiresAt: this.#contentExpiry(entry, createdAt, settings.keepContent),
              }
            : null,
        outbox: [webhook, mail]
          .filter((c): c is Claimed => c !== undefined)
          .map((c) => ({
            id: c.row.id,
            channel: c.row.channel,
            target: c.row.target,
            payloadEnc: c.row.payload_enc as Buffer,
          })),
      });
    } catch (err) {
      // Nothing recorded: deliver_sm is answered ESME_RX_T_APPN and the aggregator retries.
      if (isTransient(err)) {
        d.m.regionUnavailable.inc({ operation: 'inbound' });
        d.log.warn({ messageId: id, region }, 'region database unavailable: inbound message not recorded');
      }
      throw err;
    }
    const claimed: Claimed[] = [webhook, mail].filter((c): c is Claimed => c !== undefined);
    d.m.messages.inc({ direction: 'inbound', aggregator: msg.carrier ?? 'none', status: 'received' });
    d.log.info(
      { messageId: id, parts: msg.parts, incomplete: msg.incomplete ?? false },
      'inbound message recorded',
    );
    d.deliveries.runNow(db, claimed);
    return id;
  }

  /**
   * Content is kept for the number's retention when it keeps content; MMS media of a number that does
   * not are held only as long as their delivery may take (then the sweeper deletes them).
   */
  #contentExpiry(entry: NumberEntry, createdAt: Date, keep: boolean): Date {
    if (keep) return contentExpiresAt(createdAt, entry.retention, this.d.safetyBufferHours);
    return new Date(createdAt.getTime() + this.d.config.delivery.deadAfterMs);
  }
}
