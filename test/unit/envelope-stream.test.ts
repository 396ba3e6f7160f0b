// The chunked stream format (RCS1): what it seals opens, in memory and as a stream, and any
// truncation, reordering, tampering or wrong context is refused before plaintext is released.
import t from 'tap';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { FileKeyProvider, Envelope, DecryptionError } from '../../src/crypto/index.js';
import { tempDir } from '../support/config.js';

async function sealStream(env: Envelope, plain: Buffer, context: string, chunk = 64, piece = 37) {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  for (let o = 0; o < plain.length; o += piece) parts.push(plain.subarray(o, o + piece));
  await pipeline(Readable.from(parts), await env.sealStream('EURO', context, chunk), async (src) => {
    for await (const c of src as AsyncIterable<Buffer>) out.push(c);
  });
  return Buffer.concat(out);
}

async function openStream(env: Envelope, sealed: Buffer, context: string, piece = 29) {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  for (let o = 0; o < sealed.length; o += piece) parts.push(sealed.subarray(o, o + piece));
  await pipeline(Readable.from(parts), env.openStream(context), async (src) => {
    for await (const c of src as AsyncIterable<Buffer>) out.push(c);
  });
  return Buffer.concat(out);
}

const sizes = [0, 1, 63, 64, 65, 128, 1000];

t.test('stream seal and open round-trip at chunk boundaries', async (t) => {
  const env = new Envelope(new FileKeyProvider(tempDir(t), true));
  for (const n of sizes) {
    const plain = randomBytes(n);
    const sealed = await sealStream(env, plain, 'recording:r1');
    t.equal(sealed.subarray(0, 4).toString(), 'RCS1', `${n} bytes: stream format`);
    t.same(await openStream(env, sealed, 'recording:r1'), plain, `${n} bytes: stream open`);
    t.same(await env.open(sealed, 'recording:r1'), plain, `${n} bytes: in-memory open`);
    t.equal(env.plaintextSize(sealed.subarray(0, 300), sealed.length), n, `${n} bytes: size from header`);
  }
});

t.test('the one-shot format opens as a stream too, and reports its size', async (t) => {
  const env = new Envelope(new FileKeyProvider(tempDir(t), true));
  const plain = Buffer.from('a short message body');
  const sealed = await env.seal('EURO', plain, 'message-body:m1');
  t.same(await openStream(env, sealed, 'message-body:m1', 5), plain);
  t.equal(env.plaintextSize(sealed, sealed.length), plain.length);
});

t.test('truncation, a dropped chunk, tampering and a wrong context are refused', async (t) => {
  const env = new Envelope(new FileKeyProvider(tempDir(t), true));
  const plain = randomBytes(64 * 5 + 10);
  const sealed = await sealStream(env, plain, 'recording:r2');
  const headerEnd = sealed.length - (64 + 16) * 5 - (10 + 16);
  await t.rejects(openStream(env, sealed, 'recording:other'), DecryptionError, 'wrong context');
  const cutAtChunk = sealed.subarray(0, sealed.length - (10 + 16));
  await t.rejects(
    openStream(env, cutAtChunk, 'recording:r2'),
    DecryptionError,
    'truncated at a chunk boundary',
  );
  await t.rejects(env.open(cutAtChunk, 'recording:r2'), DecryptionError, 'truncated, in memory');
  const dropped = Buffer.concat([sealed.subarray(0, headerEnd), sealed.subarray(headerEnd + 80)]);
  await t.rejects(openStream(env, dropped, 'recording:r2'), DecryptionError, 'a chunk dropped');
  const flipped = Buffer.from(sealed);
  flipped[headerEnd + 100] = (flipped[headerEnd + 100] ?? 0) ^ 1;
  await t.rejects(openStream(env, flipped, 'recording:r2'), DecryptionError, 'a bit flipped');
});

t.test('rotation re-wraps a stream object by swapping its header only', async (t) => {
  const keys = new FileKeyProvider(tempDir(t), true);
  const env = new Envelope(keys);
  const plain = randomBytes(500);
  const sealed = await sealStream(env, plain, 'recording:r3');
  await keys.rotate('EURO');
  const next = await env.rewrapHeader(sealed.subarray(0, 400));
  if (!next) throw new Error('expected a new header');
  const rewrapped = Buffer.concat([next.header, sealed.subarray(next.length)]);
  t.same(env.keyOf(rewrapped), { ring: 'EURO', version: 'v2' });
  t.ok(rewrapped.subarray(next.header.length).equals(sealed.subarray(next.length)), 'body bytes unchanged');
  t.same(await openStream(env, rewrapped, 'recording:r3'), plain);
  t.equal(await env.rewrapHeader(rewrapped), undefined, 'already current: nothing to do');
});
