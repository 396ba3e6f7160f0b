// Envelope encryption with AES-256-GCM: every object gets its own random data key, which is wrapped
// by the key ring's current key (the region's key, or 'control' for the provider's own secrets).
// Two formats share one header (sealed-header.ts):
//
//   RCE1  header | iv(12) | ciphertext | tag(16)                 one GCM message, for small content
//   RCS1  header | u32 chunkSize | noncePrefix(7) | chunk*       chunked stream, for recordings/exports
//         chunk = ciphertext(chunkSize, the last one shorter or equal) | tag(16)
//
// RCS1 is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): chunk i is sealed with
// IV = noncePrefix | u32 i | u8 last, so chunks cannot be reordered, dropped or the stream truncated
// without a tag failing, and every chunk is verified before its plaintext is released.
//
// The AAD is the magic plus a caller-given context (e.g. "recording:<id>"), which binds a ciphertext
// to its place: it cannot be swapped into another record. The header is outside the AAD so rotation
// re-wraps the data key without touching the content.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { KeyProvider, WrappedKey } from './key-provider.js';
import {
  DecryptionError,
  MAGIC_ONE_SHOT,
  MAGIC_STREAM,
  encodeHeader,
  parseHeader,
  tryParseHeader,
  type ParsedHeader,
} from './sealed-header.js';

export { DecryptionError };

const IV = 12;
const TAG = 16;
const PREFIX = 7;
/** 64 KiB chunks: large enough that per-chunk overhead is noise, small enough to stream. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;

function aad(magic: Buffer, context: string): Buffer {
  return Buffer.concat([magic, Buffer.from(context)]);
}

function chunkIv(prefix: Buffer, index: number, last: boolean): Buffer {
  const iv = Buffer.alloc(IV);
  prefix.copy(iv, 0);
  iv.writeUInt32BE(index, PREFIX);
  iv[IV - 1] = last ? 1 : 0;
  return iv;
}

export class Envelope {
  constructor(private readonly keys: KeyProvider) {}

  get provider(): KeyProvider {
    return this.keys;
  }

  async #newDataKey(ring: string): Promise<{ dataKey: Buffer; wrapped: WrappedKey }> {
    if (this.keys.generateDataKey) {
      const { plaintext, wrapped } = await this.keys.generateDataKey(ring);
      return { dataKey: plaintext, wrapped };
    }
    const dataKey = randomBytes(32);
    return { dataKey, wrapped: await this.keys.wrap(ring, dataKey) };
  }

  async #unwrap(key: WrappedKey): Promise<Buffer> {
    try {
      return await this.keys.unwrap(key);
    } catch (err) {
      throw new DecryptionError(
        `cannot unwrap data key (${key.ring}/${key.version}): ${(err as Error).message}`,
      );
    }
  }

  /** One-shot seal (RCE1) of content that fits in memory comfortably: bodies, credentials, media. */
  async seal(ring: string, plaintext: Buffer, context: string): Promise<Buffer> {
    const { dataKey, wrapped } = await this.#newDataKey(ring);
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    cipher.setAAD(aad(MAGIC_ONE_SHOT, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    dataKey.fill(0);
    return Buffer.concat([encodeHeader('RCE1', wrapped), iv, body, cipher.getAuthTag()]);
  }

  /** Opens either format held in memory. */
  async open(sealed: Buffer, context: string): Promise<Buffer> {
    const header = parseHeader(sealed);
    const dataKey = await this.#unwrap(header.key);
    try {
      if (header.format === 'RCE1') return openOneShot(sealed, header.end, dataKey, context);
      const out: Buffer[] = [];
      const opener = new ChunkOpener(dataKey, context, (b) => out.push(b));
      opener.push(sealed.subarray(header.end));
      opener.finish();
      return Buffer.concat(out);
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * A transform that seals what is written to it as RCS1: for content too large to hold in memory
   * (a one-hour two-channel recording is ~115 MB). Pipe a file into it and its output to the store.
   */
  async sealStream(ring: string, context: string, chunkSize = DEFAULT_CHUNK_SIZE): Promise<Transform> {
    if (!Number.isInteger(chunkSize) || chunkSize < 16 || chunkSize > MAX_CHUNK_SIZE)
      throw new RangeError(`chunk size must be 16..${MAX_CHUNK_SIZE} bytes`);
    const { dataKey, wrapped } = await this.#newDataKey(ring);
    return new SealTransform(dataKey, encodeHeader('RCS1', wrapped), context, chunkSize);
  }

  /** A transform that opens a sealed stream of either format; chunks are verified before release. */
  openStream(context: string): Transform {
    return new OpenTransform((key) => this.#unwrap(key), context);
  }

  /** The ring and key version a sealed object's data key is wrapped with (from its first bytes). */
  keyOf(sealed: Buffer): { ring: string; version: string } {
    const { key } = parseHeader(sealed);
    return { ring: key.ring, version: key.version };
  }

  /**
   * A new header for the data key of `headerBytes` (the start of a sealed object), wrapped under the
   * ring's current version; undefined when it already is. `length` is how many bytes it replaces.
   */
  async rewrapHeader(headerBytes: Buffer): Promise<{ header: Buffer; length: number } | undefined> {
    const { format, key, end } = parseHeader(headerBytes);
    const current = await this.keys.currentVersion(key.ring);
    if (current === key.version) return undefined;
    const dataKey = await this.#unwrap(key);
    try {
      return { header: encodeHeader(format, await this.keys.wrap(key.ring, dataKey)), length: end };
    } finally {
      dataKey.fill(0);
    }
  }

  /** Re-wraps the data key under the ring's current version; the content bytes are unchanged. */
  async rewrap(sealed: Buffer): Promise<Buffer> {
    const next = await this.rewrapHeader(sealed);
    return next ? Buffer.concat([next.header, sealed.subarray(next.length)]) : sealed;
  }

  /** Plaintext length of a sealed object of `total` bytes, from its first bytes (no decryption). */
  plaintextSize(headerBytes: Buffer, total: number): number {
    const { format, end } = parseHeader(headerBytes);
    if (format === 'RCE1') return total - end - IV - TAG;
    const chunkSize = headerBytes.readUInt32BE(end);
    const body = total - end - 4 - PREFIX;
    return body - TAG * Math.ceil(body / (chunkSize + TAG));
  }
}

function openOneShot(sealed: Buffer, start: number, dataKey: Buffer, context: string): Buffer {
  if (start + IV + TAG > sealed.length) throw new DecryptionError('truncated sealed object');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, sealed.subarray(start, start + IV));
  decipher.setAAD(aad(MAGIC_ONE_SHOT, context));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(start + IV, sealed.length - TAG)),
      decipher.final(),
    ]);
  } catch {
    throw new DecryptionError('authentication failed: wrong context or tampered content');
  }
}

class SealTransform extends Transform {
  readonly #prefix = randomBytes(PREFIX);
  readonly #aad: Buffer;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #index = 0;

  constructor(
    private readonly dataKey: Buffer,
    header: Buffer,
    context: string,
    private readonly chunkSize: number,
  ) {
    super();
    this.#aad = aad(MAGIC_STREAM, context);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(chunkSize);
    this.push(Buffer.concat([header, size, this.#prefix]));
  }

  #chunk(plain: Buffer, last: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, chunkIv(this.#prefix, this.#index++, last));
    cipher.setAAD(this.#aad);
    this.push(cipher.update(plain));
    cipher.final();
    this.push(cipher.getAuthTag());
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // Keep at least one byte back: the last chunk is only known as last when the input ends.
    if (this.#pendingBytes + data.length <= this.chunkSize) {
      this.#pending.push(data);
      this.#pendingBytes += data.length;
      return done();
    }
    const all = this.#pendingBytes > 0 ? Buffer.concat([...this.#pending, data]) : data;
    let o = 0;
    while (all.length - o > this.chunkSize) {
      this.#chunk(all.subarray(o, o + this.chunkSize), false);
      o += this.chunkSize;
    }
    // A copy of the remainder: the caller's buffer is not ours to keep.
    const rest = Buffer.from(all.subarray(o));
    this.#pending = [rest];
    this.#pendingBytes = rest.length;
    done();
  }

  override _flush(done: TransformCallback): void {
    this.#chunk(Buffer.concat(this.#pending), true);
    this.dataKey.fill(0);
    done();
  }
}

/** Decrypts RCS1 chunks as they complete; the chunk still buffered at the end is the last one. */
class ChunkOpener {
  #buf: Buffer = Buffer.alloc(0);
  #chunkSize = -1;
  #prefix: Buffer = Buffer.alloc(0);
  #index = 0;
  readonly #aad: Buffer;

  constructor(
    private readonly dataKey: Buffer,
    context: string,
    private readonly emit: (b: Buffer) => void,
  ) {
    this.#aad = aad(MAGIC_STREAM, context);
  }

  push(data: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, data]) : data;
    if (this.#chunkSize < 0) {
      if (this.#buf.length < 4 + PREFIX) return;
      this.#chunkSize = this.#buf.readUInt32BE(0);
      if (this.#chunkSize < 16 || this.#chunkSize > MAX_CHUNK_SIZE)
        throw new DecryptionError('bad chunk size');
      this.#prefix = Buffer.from(this.#buf.subarray(4, 4 + PREFIX));
      this.#buf = this.#buf.subarray(4 + PREFIX);
    }
    const full = this.#chunkSize + TAG;
    let o = 0;
    while (this.#buf.length - o > full) {
      this.#open(this.#buf.subarray(o, o + full), false);
      o += full;
    }
    if (o > 0) this.#buf = this.#buf.subarray(o);
  }

  finish(): void {
    if (this.#chunkSize < 0 || this.#buf.length < TAG) throw new DecryptionError('truncated sealed object');
    this.#open(this.#buf, true);
    this.#buf = Buffer.alloc(0);
  }

  #open(chunk: Buffer, last: boolean): void {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.dataKey,
      chunkIv(this.#prefix, this.#index++, last),
    );
    decipher.setAAD(this.#aad);
    decipher.setAuthTag(chunk.subarray(chunk.length - TAG));
    try {
      const plain = decipher.update(chunk.subarray(0, chunk.length - TAG));
      decipher.final();
      this.emit(plain);
    } catch {
      throw new DecryptionError('authentication failed: wrong context, tampered or truncated content');
    }
  }
}

class OpenTransform extends Transform {
  #head: Buffer[] = [];
  #header: ParsedHeader | undefined;
  #opener: ChunkOpener | undefined;
  #dataKey: Buffer | undefined;
  /** RCE1 holds its whole body: GCM verifies only at the end, and nothing unverified is released. */
  #oneShot: Buffer[] = [];

  constructor(
    private readonly unwrap: (key: WrappedKey) => Promise<Buffer>,
    private readonly context: string,
  ) {
    super();
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#feed(data).then(() => done(), done);
  }

  async #feed(data: Buffer): Promise<void> {
    if (!this.#header) {
      this.#head.push(data);
      const all = Buffer.concat(this.#head);
      const header = tryParseHeader(all);
      if (!header) return;
      this.#header = header;
      this.#head = [];
      this.#dataKey = await this.unwrap(header.key);
      if (header.format === 'RCS1')
        this.#opener = new ChunkOpener(this.#dataKey, this.context, (b) => this.push(b));
      data = all.subarray(header.end);
    }
    if (this.#opener) this.#opener.push(data);
    else this.#oneShot.push(data);
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.#header || !this.#dataKey) throw new DecryptionError('truncated sealed object');
      if (this.#opener) this.#opener.finish();
      else this.push(openOneShot(Buffer.concat(this.#oneShot), 0, this.#dataKey, this.context));
      done();
    } catch (err) {
      done(err as Error);
    } finally {
      this.#dataKey?.fill(0);
    }
  }
}
