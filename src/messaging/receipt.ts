// Delivery receipts (SMPP 3.4 §5.2.12 esm_class, Appendix B text form, §5.3.2.35 message_state) and
// the message ids they carry. Pure logic.
//
// The commonest cause of unmatched receipts (Jasmin, Kannel) is an aggregator writing the id one way
// in submit_sm_resp and another way in the receipt: hex there, decimal here, or with leading zeros.
// Both sides are reduced to one canonical key before matching; the carrier's receiptIdFormat says
// how its receipts write the id relative to its submit_sm_resp:
//   as-is    same digits (case and leading zeros ignored)
//   hex      the receipt holds the hex form of a decimal submit_sm_resp id
//   decimal  the receipt holds the decimal form of a hex submit_sm_resp id

export type ReceiptIdFormat = 'as-is' | 'hex' | 'decimal';
export type ReceiptStatus = 'delivered' | 'undelivered' | 'failed' | 'sent';

export interface Receipt {
  id: string;
  stat: string;
  status: ReceiptStatus;
  err?: string;
}

const stripZeros = (s: string) => s.replace(/^0+(?=.)/, '');

/** Canonical key of an id as the aggregator wrote it in submit_sm_resp. */
export function canonicalRespId(id: string): string {
  return stripZeros(id.trim().toLowerCase());
}

/** Canonical key of an id as the aggregator wrote it in a receipt; undefined when it cannot be one. */
export function canonicalReceiptId(id: string, format: ReceiptIdFormat): string | undefined {
  const s = id.trim().toLowerCase();
  if (!s) return undefined;
  if (format === 'as-is') return stripZeros(s);
  if (format === 'hex') return /^[0-9a-f]+$/.test(s) ? BigInt(`0x${s}`).toString(10) : undefined;
  return /^[0-9]+$/.test(s) ? BigInt(s).toString(16) : undefined;
}

// SMPP 3.4 §5.2.28 message_state values.
const STATE_NAMES: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

export function statusOfStat(stat: string): ReceiptStatus {
  switch (stat.toUpperCase()) {
    case 'DELIVRD':
    case 'DELIVERED':
      return 'delivered';
    case 'UNDELIV':
    case 'EXPIRED':
    case 'DELETED':
    case 'UNKNOWN':
      return 'undelivered';
    case 'REJECTD':
      return 'failed';
    default:
      // ENROUTE, ACCEPTD: an intermediate receipt.
      return 'sent';
  }
}

/** esm_class bits 2-5 = 0001: an SMSC delivery receipt (0x04); 0x20 intermediate notification. */
export function isReceipt(esmClass: number): boolean {
  const type = esmClass & 0x3c;
  return type === 0x04 || type === 0x20;
}

const TEXT_FIELD = /(?:^|\s)(id|stat|err):\s*([^\s]+)/gi;

/**
 * A receipt from deliver_sm fields: receipted_message_id and message_state TLVs take precedence,
 * the text form `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…` fills the gaps.
 * Returns undefined when neither names a message.
 */
export function parseReceipt(fields: {
  text?: string;
  receiptedMessageId?: string;
  messageState?: number;
  networkErrorCode?: Buffer;
}): Receipt | undefined {
  const fromText: Record<string, string> = {};
  if (fields.text) {
    // Only the part before "text:" is structured; the sample after it may contain anything.
    const head = fields.text.split(/\stext:/i)[0] ?? '';
    for (const m of head.matchAll(TEXT_FIELD)) fromText[(m[1] as string).toLowerCase()] = m[2] as string;
  }
  const id = fields.receiptedMessageId?.replace(/\0+$/, '') || fromText.id;
  const stat =
    (fields.messageState !== undefined ? STATE_NAMES[fields.messageState] : undefined) ?? fromText.stat;
  if (!id || !stat) return undefined;
  let err = fromText.err;
  if (!err && fields.networkErrorCode && fields.networkErrorCode.length >= 3)
    err = String(fields.networkErrorCode.readUInt16BE(1));
  return { id, stat: stat.toUpperCase(), status: statusOfStat(stat), ...(err ? { err } : {}) };
}

/** The text form, as an SMSC writes it (used by the test SMSC and the bench). */
export function formatReceiptText(r: { id: string; stat: string; err?: string; at?: Date }): string {
  const d = r.at ?? new Date();
  const ts = d.toISOString().replace(/[-:T]/g, '').slice(2, 12);
  const dlvrd = r.stat === 'DELIVRD' ? '001' : '000';
  return `id:${r.id} sub:001 dlvrd:${dlvrd} submit date:${ts} done date:${ts} stat:${r.stat} err:${r.err ?? '000'} text:`;
}
