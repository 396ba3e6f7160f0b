// Envelope encryption with AES-256-GCM: every object gets its own random data key, which is wrapped
// by the key ring's current key (the region's key). Layout of a sealed object:
//
//   "RCE1" | u8 ringLen | ring | u8 versionLen | version | u16 wrappedLen | wrapped | iv(12) | ciphertext | tag(16)
//
// The additional authenticated data is the magic plus a caller-given context (e.g. "recording:<id>"),
// which binds a ciphertext to its place: it cannot be swapped into another record. The wrapped key is
// deliberately outside the AAD so rotation can re-wrap it without touching the content.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyProvider, WrappedKey } from './key-provider.js';

const MAGIC = Buffer.from('RCE1');
const IV = 12;
const TAG = 16;

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

interface Parsed {
  key: WrappedKey;
  headerEnd: number;
}

function parseHeader(sealed: Buffer): Parsed {
  if (sealed.length < MAGIC.length + 4 + IV + TAG || !sealed.subarray(0, 4).equals(MAGIC)) {
    throw new DecryptionError('not a sealed object');
  }
  let o = 4;
  const ringLen = sealed.readUInt8(o++);
  const ring = sealed.toString('utf8', o, o + ringLen);
  o += ringLen;
  const versionLen = sealed.readUInt8(o++);
  const version = sealed.toString('utf8', o, o + versionLen);
  o += versionLen;
  const wrappedLen = sealed.readUInt16BE(o);
  o += 2;
  const wrapped = sealed.subarray(o, o + wrappedLen);
  o += wrappedLen;
  if (o + IV + TAG > sealed.length) throw new DecryptionError('truncated sealed object');
  return { key: { ring, version, wrapped }, headerEnd: o };
}

function header(key: WrappedKey): Buffer {
  const ring = Buffer.from(key.ring);
  const version = Buffer.from(key.version);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(key.wrapped.length);
  return Buffer.concat([
    MAGIC,
    Buffer.from([ring.length]),
    ring,
    Buffer.from([version.length]),
    version,
    len,
    key.wrapped,
  ]);
}

export class Envelope {
  constructor(private readonly keys: KeyProvider) {}

  async seal(ring: string, plaintext: Buffer, context: string): Promise<Buffer> {
    const dataKey = randomBytes(32);
    const wrapped = await this.keys.wrap(ring, dataKey);
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    cipher.setAAD(Buffer.concat([MAGIC, Buffer.from(context)]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    dataKey.fill(0);
    return Buffer.concat([header(wrapped), iv, body, cipher.getAuthTag()]);
  }

  async open(sealed: Buffer, context: string): Promise<Buffer> {
    const { key, headerEnd } = parseHeader(sealed);
    let dataKey: Buffer;
    try {
      dataKey = await this.keys.unwrap(key);
    } catch (err) {
      throw new DecryptionError(
        `cannot unwrap data key (${key.ring}/${key.version}): ${(err as Error).message}`,
      );
    }
    const iv = sealed.subarray(headerEnd, headerEnd + IV);
    const decipher = createDecipheriv('aes-256-gcm', dataKey, iv);
    decipher.setAAD(Buffer.concat([MAGIC, Buffer.from(context)]));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      return Buffer.concat([
        decipher.update(sealed.subarray(headerEnd + IV, sealed.length - TAG)),
        decipher.final(),
      ]);
    } catch {
      throw new DecryptionError('authentication failed: wrong context or tampered content');
    } finally {
      dataKey.fill(0);
    }
  }

  /** The ring and key version a sealed object's data key is wrapped with. */
  keyOf(sealed: Buffer): { ring: string; version: string } {
    const { key } = parseHeader(sealed);
    return { ring: key.ring, version: key.version };
  }

  /** Re-wraps the data key under the ring's current version; the content bytes are unchanged. */
  async rewrap(sealed: Buffer): Promise<Buffer> {
    const { key, headerEnd } = parseHeader(sealed);
    const current = await this.keys.currentVersion(key.ring);
    if (current === key.version) return sealed;
    const dataKey = await this.keys.unwrap(key);
    const rewrapped = await this.keys.wrap(key.ring, dataKey);
    dataKey.fill(0);
    return Buffer.concat([header(rewrapped), sealed.subarray(headerEnd)]);
  }
}
