import t from 'tap';
import { FileKeyProvider, Envelope, DecryptionError, UrlSigner } from '../../src/crypto/index.js';
import { tempDir } from '../support/config.js';

t.test('sealed content is not the plaintext and opens only with its context', async (t) => {
  const env = new Envelope(new FileKeyProvider(tempDir(t), true));
  const plain = Buffer.from('RIFF....WAVEfmt the recording');
  const sealed = await env.seal('EURO', plain, 'recording:1');
  t.equal(sealed.indexOf(plain), -1, 'plaintext does not appear');
  t.same(await env.open(sealed, 'recording:1'), plain);
  await t.rejects(env.open(sealed, 'recording:2'), DecryptionError, 'another context fails');
  const tampered = Buffer.from(sealed);
  tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 1;
  await t.rejects(env.open(tampered, 'recording:1'), DecryptionError, 'tampering is detected');
  await t.rejects(env.open(Buffer.from('junk'), 'x'), /not a sealed object/);
});

t.test('rotation: v1 content stays readable, and re-wrapping leaves no data key under v1', async (t) => {
  const keys = new FileKeyProvider(tempDir(t), true);
  const env = new Envelope(keys);
  const sealed = await env.seal('NOAM', Buffer.from('message body'), 'message:9');
  t.same(env.keyOf(sealed), { ring: 'NOAM', version: 'v1' });
  t.equal(await keys.rotate('NOAM'), 'v2');
  t.same(
    (await env.open(sealed, 'message:9')).toString(),
    'message body',
    'old content readable after rotation',
  );
  const rewrapped = await env.rewrap(sealed);
  t.same(env.keyOf(rewrapped), { ring: 'NOAM', version: 'v2' });
  t.same(
    sealed.subarray(sealed.length - 40),
    rewrapped.subarray(rewrapped.length - 40),
    'content bytes unchanged',
  );
  t.same((await env.open(rewrapped, 'message:9')).toString(), 'message body');
  const fresh = await env.seal('NOAM', Buffer.from('new'), 'message:10');
  t.equal(env.keyOf(fresh).version, 'v2', 'new content uses the current key');
});

t.test('production mode refuses to invent a missing key', async (t) => {
  const env = new Envelope(new FileKeyProvider(tempDir(t), false));
  await t.rejects(env.seal('EURO', Buffer.from('x'), 'c'), /no key for ring EURO/);
});

t.test('signed links verify until they expire and not after tampering', async (t) => {
  const signer = new UrlSigner(Buffer.alloc(32, 7));
  const now = Date.now();
  const token = signer.sign({ kind: 'media', region: 'EURO', id: 'm1' }, 60, now);
  t.match(signer.verify(token, now), { kind: 'media', region: 'EURO', id: 'm1' });
  t.equal(signer.verify(token, now + 61_000), undefined, 'expired');
  const [body, mac] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ kind: 'media', region: 'NOAM', id: 'm1', exp: 9e9 })).toString(
    'base64url',
  );
  t.equal(signer.verify(`${forged}.${mac}`, now), undefined, 'payload swapped');
  t.equal(signer.verify(`${body}.x${mac}`, now), undefined, 'mac changed');
  t.equal(signer.verify('garbage', now), undefined);
});
