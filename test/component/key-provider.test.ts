// One behaviour suite for every key provider: the file provider and the AWS KMS provider against the
// KMS stand-in over HTTP (AWS JSON 1.1, SigV4-signed requests from the real SDK).
import t, { type Test } from 'tap';
import { FileKeyProvider, AwsKmsKeyProvider, Envelope, type KeyProvider } from '../../src/crypto/index.js';
import { tempDir } from '../support/config.js';
import { startKmsServer } from '../support/kms-server.js';

type Make = (t: Test) => Promise<KeyProvider>;

const providers: Record<string, Make> = {
  file: async (t) => {
    const p = new FileKeyProvider(tempDir(t), false);
    await p.rotate('EURO');
    await p.rotate('control');
    return p;
  },
  'aws-kms': async (t) => {
    const kms = await startKmsServer({ pageSize: 2 });
    t.teardown(() => kms.close());
    const p = new AwsKmsKeyProvider({
      region: 'eu-central-1',
      endpoint: kms.endpoint,
      aliasPrefix: 'alias/routing-core/',
      versionsTtlMs: 0,
      credentials: { accessKeyId: kms.accessKeyId, secretAccessKey: kms.secretAccessKey },
    });
    t.teardown(() => p.close());
    await p.rotate('EURO');
    await p.rotate('control');
    return p;
  },
};

for (const [name, make] of Object.entries(providers)) {
  t.test(`${name}: wrap and unwrap a data key under the current version`, async (t) => {
    const keys = await make(t);
    t.equal(await keys.currentVersion('EURO'), 'v1');
    const dataKey = Buffer.alloc(32, 9);
    const wrapped = await keys.wrap('EURO', dataKey);
    t.match(wrapped, { ring: 'EURO', version: 'v1' });
    t.equal(wrapped.wrapped.indexOf(dataKey), -1, 'the wrapped form does not contain the key');
    t.same(await keys.unwrap(wrapped), dataKey);
  });

  t.test(`${name}: a wrapped key opens only under its own ring and version`, async (t) => {
    const keys = await make(t);
    const wrapped = await keys.wrap('EURO', Buffer.alloc(32, 1));
    await t.rejects(keys.unwrap({ ...wrapped, ring: 'control' }), 'another ring');
    await keys.rotate('EURO');
    await t.rejects(keys.unwrap({ ...wrapped, version: 'v2' }), 'another version');
    const tampered = Buffer.from(wrapped.wrapped);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    await t.rejects(keys.unwrap({ ...wrapped, wrapped: tampered }), 'tampered');
  });

  t.test(`${name}: rotation adds a current version; old wrapped keys still open`, async (t) => {
    const keys = await make(t);
    const old = await keys.wrap('EURO', Buffer.alloc(32, 2));
    t.equal(await keys.rotate('EURO'), 'v2');
    t.equal(await keys.rotate('EURO'), 'v3');
    t.same(await keys.versions('EURO'), ['v1', 'v2', 'v3']);
    t.equal(await keys.currentVersion('EURO'), 'v3');
    t.equal(await keys.currentVersion('control'), 'v1', 'rings rotate independently');
    t.same(await keys.unwrap(old), Buffer.alloc(32, 2));
    t.equal((await keys.wrap('EURO', Buffer.alloc(32, 3))).version, 'v3');
  });

  t.test(`${name}: envelope content survives rotation and re-wrap`, async (t) => {
    const keys = await make(t);
    const env = new Envelope(keys);
    const sealed = await env.seal('EURO', Buffer.from('a message body'), 'message-body:1');
    await keys.rotate('EURO');
    const rewrapped = await env.rewrap(sealed);
    t.same(env.keyOf(rewrapped), { ring: 'EURO', version: 'v2' });
    t.same((await env.open(rewrapped, 'message-body:1')).toString(), 'a message body');
  });

  t.test(`${name}: a ring without keys is an error, not a new key`, async (t) => {
    const keys = await make(t);
    await t.rejects(keys.currentVersion('APAC'), /no (KMS )?key for ring APAC/);
    await t.rejects(keys.wrap('../x', Buffer.alloc(32)), /bad key ring/);
  });
}

t.test('aws-kms: data keys come from GenerateDataKey and the version list is cached', async (t) => {
  const kms = await startKmsServer();
  t.teardown(() => kms.close());
  const keys = new AwsKmsKeyProvider({
    region: 'eu-central-1',
    endpoint: kms.endpoint,
    aliasPrefix: 'alias/rc/',
    versionsTtlMs: 60_000,
    credentials: { accessKeyId: kms.accessKeyId, secretAccessKey: kms.secretAccessKey },
  });
  t.teardown(() => keys.close());
  await keys.rotate('NOAM');
  const env = new Envelope(keys);
  t.equal(await keys.currentVersion('NOAM'), 'v1');
  const listsBefore = kms.calls.ListAliases ?? 0;
  for (let i = 0; i < 3; i++) await env.seal('NOAM', Buffer.from(`body ${i}`), `c${i}`);
  t.equal(kms.calls.GenerateDataKey, 3, 'one GenerateDataKey per sealed object');
  t.equal(kms.calls.Encrypt ?? 0, 0, 'no separate Encrypt');
  t.equal(kms.calls.ListAliases ?? 0, listsBefore, 'versions served from the cache');
});

t.test('aws-kms: wrong credentials are refused by the server', async (t) => {
  const kms = await startKmsServer();
  t.teardown(() => kms.close());
  const keys = new AwsKmsKeyProvider({
    region: 'eu-central-1',
    endpoint: kms.endpoint,
    aliasPrefix: 'alias/rc/',
    versionsTtlMs: 0,
    credentials: { accessKeyId: 'AKIDWRONG', secretAccessKey: 'x' },
  });
  t.teardown(() => keys.close());
  await t.rejects(keys.rotate('NOAM'), /credentials/);
});
