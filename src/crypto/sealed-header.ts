// The header every sealed object starts with, in both formats:
//
//   magic(4) | u8 ringLen | ring | u8 versionLen | version | u16 wrappedLen | wrapped
//
// "RCE1" is one AES-256-GCM message (small content: message bodies, credentials); "RCS1" is the chunked
// stream format (recordings, exports). The header is deliberately outside every AAD so that key
// rotation can swap the wrapped data key without touching the content bytes.
import type { WrappedKey } from './key-provider.js';

export const MAGIC_ONE_SHOT = Buffer.from('RCE1');
export const MAGIC_STREAM = Buffer.from('RCS1');
export type SealedFormat = 'RCE1' | 'RCS1';

/** Enough bytes to hold any header (ring and version up to 255 bytes, wrapped key up to 1 KiB). */
export const MAX_HEADER_BYTES = 4 + 1 + 255 + 1 + 255 + 2 + 1024;

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

export interface ParsedHeader {
  format: SealedFormat;
  key: WrappedKey;
  /** Offset of the first byte after the header. */
  end: number;
}

/** Parses a header from the start of `buf`; undefined when more bytes are needed. */
export function tryParseHeader(buf: Buffer): ParsedHeader | undefined {
  if (buf.length < 4) return undefined;
  const magic = buf.subarray(0, 4);
  let format: SealedFormat;
  if (magic.equals(MAGIC_ONE_SHOT)) format = 'RCE1';
  else if (magic.equals(MAGIC_STREAM)) format = 'RCS1';
  else throw new DecryptionError('not a sealed object');
  let o = 4;
  if (buf.length < o + 1) return undefined;
  const ringLen = buf.readUInt8(o++);
  if (buf.length < o + ringLen + 1) return undefined;
  const ring = buf.toString('utf8', o, o + ringLen);
  o += ringLen;
  const versionLen = buf.readUInt8(o++);
  if (buf.length < o + versionLen + 2) return undefined;
  const version = buf.toString('utf8', o, o + versionLen);
  o += versionLen;
  const wrappedLen = buf.readUInt16BE(o);
  o += 2;
  if (buf.length < o + wrappedLen) return undefined;
  const wrapped = Buffer.from(buf.subarray(o, o + wrappedLen));
  o += wrappedLen;
  return { format, key: { ring, version, wrapped }, end: o };
}

export function parseHeader(buf: Buffer): ParsedHeader {
  const parsed = tryParseHeader(buf);
  if (!parsed) throw new DecryptionError('truncated sealed object');
  return parsed;
}

export function encodeHeader(format: SealedFormat, key: WrappedKey): Buffer {
  const ring = Buffer.from(key.ring);
  const version = Buffer.from(key.version);
  if (ring.length > 255 || version.length > 255 || key.wrapped.length > 1024)
    throw new Error('key ring, version or wrapped key too long for the sealed header');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(key.wrapped.length);
  return Buffer.concat([
    format === 'RCE1' ? MAGIC_ONE_SHOT : MAGIC_STREAM,
    Buffer.from([ring.length]),
    ring,
    Buffer.from([version.length]),
    version,
    len,
    key.wrapped,
  ]);
}
