// How a text becomes SMPP short messages and back. Pure logic.
//
// Outbound: GSM 03.38 7-bit (data_coding 0, one septet per octet) when every character fits, else
// UCS-2 (data_coding 8, UTF-16BE). One part holds 160 septets / 70 UCS-2 units; a longer text is
// split into parts that each carry a 6-octet concatenation UDH (IEI 0x00, 8-bit reference), leaving
// 153 septets / 67 units per part. A part never ends in the middle of an escape pair or a surrogate
// pair, so every part decodes on its own.
//
// Inbound: data_coding picks the decoder (0 GSM, 1 IA5/ASCII, 3 Latin-1, 8 UCS-2; anything else is
// treated as Latin-1 so the bytes still reach the customer); a UDH (esm_class bit 0x40) is stripped
// and its concatenation element (IEI 0x00 8-bit or 0x08 16-bit reference) returned.
import { decodeGsm, encodeGsm, fitsGsm, gsmSeptets } from './gsm.js';

export type SmsEncoding = 'gsm7' | 'ucs2';
export const DATA_CODING: Record<SmsEncoding, number> = { gsm7: 0x00, ucs2: 0x08 };
export const ESM_UDHI = 0x40;

const SINGLE = { gsm7: 160, ucs2: 70 } as const;
const PER_PART = { gsm7: 153, ucs2: 67 } as const;
export const MAX_PARTS = 255;

export interface EncodedPart {
  /** short_message bytes: UDH (when concatenated) then the payload. */
  bytes: Buffer;
  dataCoding: number;
  esmClass: number;
  seq: number;
  total: number;
}

export interface EncodedMessage {
  encoding: SmsEncoding;
  /** Septets (gsm7) or UTF-16 code units (ucs2) of the whole text. */
  units: number;
  parts: EncodedPart[];
}

export function chooseEncoding(text: string): SmsEncoding {
  return fitsGsm(text) ? 'gsm7' : 'ucs2';
}

/** Characters as indivisible units with their cost: septets (gsm7) or UTF-16 units (ucs2). */
function chunks(text: string, encoding: SmsEncoding): Buffer[] {
  const out: Buffer[] = [];
  for (const ch of text) {
    if (encoding === 'gsm7') out.push(Buffer.from(gsmSeptets(ch) as number[]));
    else out.push(Buffer.from(ch, 'utf16le').swap16());
  }
  return out;
}

const unitsOf = (b: Buffer, encoding: SmsEncoding) => (encoding === 'gsm7' ? b.length : b.length / 2);

/** Splits `text` into SMPP parts; `reference` (0-255) is the concatenation reference. */
export function encodeMessage(text: string, reference: number): EncodedMessage {
  if (text.length === 0) throw new RangeError('empty message');
  const encoding = chooseEncoding(text);
  const whole = encoding === 'gsm7' ? encodeGsm(text) : Buffer.from(text, 'utf16le').swap16();
  const units = unitsOf(whole, encoding);
  const dataCoding = DATA_CODING[encoding];
  if (units <= SINGLE[encoding])
    return { encoding, units, parts: [{ bytes: whole, dataCoding, esmClass: 0, seq: 1, total: 1 }] };

  const payloads: Buffer[] = [];
  let current: Buffer[] = [];
  let used = 0;
  for (const c of chunks(text, encoding)) {
    const n = unitsOf(c, encoding);
    if (used + n > PER_PART[encoding]) {
      payloads.push(Buffer.concat(current));
      current = [];
      used = 0;
    }
    current.push(c);
    used += n;
  }
  if (current.length) payloads.push(Buffer.concat(current));
  if (payloads.length > MAX_PARTS) throw new RangeError(`message needs more than ${MAX_PARTS} parts`);
  const total = payloads.length;
  const ref = reference & 0xff;
  return {
    encoding,
    units,
    parts: payloads.map((p, i) => ({
      bytes: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref, total, i + 1]), p]),
      dataCoding,
      esmClass: ESM_UDHI,
      seq: i + 1,
      total,
    })),
  };
}

/** Parts a text needs, without building them (for validation and quotes). */
export function countParts(text: string): { encoding: SmsEncoding; units: number; parts: number } {
  const encoding = chooseEncoding(text);
  const units = unitsOf(encoding === 'gsm7' ? encodeGsm(text) : Buffer.from(text, 'utf16le'), encoding);
  if (units <= SINGLE[encoding]) return { encoding, units, parts: 1 };
  return { encoding, units, parts: encodeMessage(text, 0).parts.length };
}

export interface Concat {
  ref: number;
  total: number;
  seq: number;
}

export interface DecodedShortMessage {
  text: string;
  concat?: Concat;
}

/** Decodes payload bytes per data_coding (low nibble of the general group, or the whole value). */
export function decodeText(bytes: Buffer, dataCoding: number): string {
  const dc = dataCoding & 0xff;
  if (dc === 0x08 || (dc & 0xcc) === 0x08 /* general group, UCS2 alphabet */) {
    const even = bytes.length - (bytes.length % 2);
    return Buffer.from(bytes.subarray(0, even)).swap16().toString('utf16le');
  }
  if (dc === 0x00 || ((dc & 0xf0) === 0xf0 && (dc & 0x04) === 0)) return decodeGsm(bytes);
  if (dc === 0x01) return bytes.toString('ascii');
  return bytes.toString('latin1');
}

/** Parses a UDH (first octet = its length) for a concatenation element; returns it and the payload offset. */
export function parseUdh(bytes: Buffer): { concat?: Concat; offset: number } {
  if (bytes.length < 1) throw new RangeError('UDH indicated but message is empty');
  const udhl = bytes[0] as number;
  const end = 1 + udhl;
  if (end > bytes.length) throw new RangeError('UDH longer than the message');
  let concat: Concat | undefined;
  for (let i = 1; i + 1 < end;) {
    const iei = bytes[i] as number;
    const len = bytes[i + 1] as number;
    const at = i + 2;
    if (at + len > end) throw new RangeError('UDH element overruns the header');
    if (iei === 0x00 && len === 3)
      concat = { ref: bytes[at] as number, total: bytes[at + 1] as number, seq: bytes[at + 2] as number };
    if (iei === 0x08 && len === 4)
      concat = { ref: bytes.readUInt16BE(at), total: bytes[at + 2] as number, seq: bytes[at + 3] as number };
    i = at + len;
  }
  return { ...(concat ? { concat } : {}), offset: end };
}

export function decodeShortMessage(bytes: Buffer, dataCoding: number, esmClass: number): DecodedShortMessage {
  if ((esmClass & ESM_UDHI) === 0) return { text: decodeText(bytes, dataCoding) };
  const { concat, offset } = parseUdh(bytes);
  return { text: decodeText(bytes.subarray(offset), dataCoding), ...(concat ? { concat } : {}) };
}
