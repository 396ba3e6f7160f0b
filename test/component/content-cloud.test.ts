// The daemon configured for the cloud: objects.driver s3 (s3rver over HTTP, a bucket per region for
// EURO and a shared bucket with prefixes for the rest) and crypto.keyProvider aws-kms (the KMS
// stand-in over HTTP). A recording written under that configuration lands in its region's bucket,
// sealed under the region's KMS key, and downloads decrypted through the API.
import t from 'tap';
import { startTestApp, call } from '../support/app.js';
import { secret } from '../support/config.js';
import { startS3 } from '../support/s3.js';
import { startKmsServer } from '../support/kms-server.js';
import { addCustomer } from '../support/records.js';
import { addRecording } from '../support/content.js';
import { S3ObjectStore } from '../../src/objects/index.js';

t.test('recordings go to the region bucket under the region KMS key and download decrypted', async (t) => {
  const s3 = await startS3(t, ['euro-content', 'shared-content']);
  const kms = await startKmsServer();
  t.teardown(() => kms.close());
  const app = await startTestApp(
    t,
    {
      objects: {
        driver: 's3',
        s3: {
          endpoint: s3.endpoint,
          awsRegion: 'us-east-1',
          forcePathStyle: true,
          bucket: 'shared-content',
          prefix: 'rc/',
          regions: { EURO: { bucket: 'euro-content', prefix: '', awsRegion: 'eu-central-1' } },
          accessKeyId: secret(s3.credentials.accessKeyId),
          secretAccessKey: secret(s3.credentials.secretAccessKey),
        },
      },
      crypto: {
        keyProvider: 'aws-kms',
        awsKms: {
          endpoint: kms.endpoint,
          region: 'eu-central-1',
          aliasPrefix: 'alias/routing-core/',
          accessKeyId: secret(kms.accessKeyId),
          secretAccessKey: secret(kms.secretAccessKey),
        },
      },
    },
    { seedDemo: true },
  );
  const op = app.demo!.operatorKey;
  for (const ring of ['EURO', 'NOAM'])
    t.equal((await call(app, 'POST', `/v1/key-rings/${ring}/rotate`, op, { rewrap: false })).status, 202);
  t.equal(app.objects.name, 's3');
  t.equal(app.envelope.provider.name, 'aws-kms');

  const deps = { router: app.stores.router, objects: app.objects, envelope: app.envelope };
  const euro = await addCustomer(app.stores, 'EURO');
  const noam = await addCustomer(app.stores, 'NOAM');
  const later = new Date(Date.now() + 86_400_000);
  const e = await addRecording(deps, 'EURO', euro, { expiresAt: later });
  const n = await addRecording(deps, 'NOAM', noam, { expiresAt: later });
  t.ok(kms.calls.GenerateDataKey! >= 2, 'data keys from KMS');

  // Look at the buckets directly, as an operator would.
  const raw = (bucket: string, prefix: string) =>
    new S3ObjectStore({
      forcePathStyle: true,
      partSizeBytes: 5 * 1024 * 1024,
      credentials: s3.credentials,
      locate: () => ({ bucket, prefix, awsRegion: 'us-east-1', endpoint: s3.endpoint }),
    });
  const euroBucket = raw('euro-content', '');
  const shared = raw('shared-content', 'rc/');
  t.teardown(() => {
    euroBucket.close();
    shared.close();
  });
  t.ok(await euroBucket.exists('any', e.key), "EURO's recording is in EURO's bucket");
  t.notOk(await shared.exists('any', `EURO/${e.key}`), 'and not in the shared one');
  t.ok(await shared.exists('any', `NOAM/${n.key}`), "NOAM's recording is under NOAM/ in the shared bucket");
  const stored = await euroBucket.get('any', e.key);
  t.same(app.envelope.keyOf(stored), { ring: 'EURO', version: 'v1' });
  t.equal(stored.indexOf(e.audio.subarray(20, 60)), -1, 'stored encrypted');

  const key = (await call(app, 'POST', `/v1/customers/${euro}/api-keys`, op, { name: 'k' })).body.key;
  const res = await app.api.inject({
    method: 'GET',
    url: `/v1/recordings/${e.id}/content`,
    headers: { authorization: `Bearer ${key}` },
  });
  t.equal(res.statusCode, 200);
  t.ok(res.rawPayload.equals(e.audio), 'decrypted through KMS on the way out');
});
