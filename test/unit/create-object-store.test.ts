// Which bucket and prefix a region's objects go to under the s3 driver: a region's own bucket when
// configured, else a prefix in the shared bucket, else none (refused rather than misplaced).
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, type Config } from '../../src/config/index.js';
import { s3Location } from '../../src/objects/index.js';

const s3 = (over: Record<string, unknown>) =>
  (Value.Default(ConfigSchema, { objects: { driver: 's3', s3: over } }) as Config).objects.s3;

t.test('region locations, table-driven', async (t) => {
  const rows: [Record<string, unknown>, string, unknown][] = [
    [{ bucket: 'all' }, 'EURO', { bucket: 'all', prefix: 'EURO/', awsRegion: 'us-east-1' }],
    [{ bucket: 'all', prefix: 'rc/' }, 'NOAM', { bucket: 'all', prefix: 'rc/NOAM/', awsRegion: 'us-east-1' }],
    [
      { bucket: 'all', endpoint: 'https://storage.googleapis.com', awsRegion: 'auto' },
      'APAC',
      { bucket: 'all', prefix: 'APAC/', awsRegion: 'auto', endpoint: 'https://storage.googleapis.com' },
    ],
    [
      { bucket: 'all', regions: { EURO: { bucket: 'eu', prefix: 'x/', awsRegion: 'eu-central-1' } } },
      'EURO',
      { bucket: 'eu', prefix: 'x/', awsRegion: 'eu-central-1' },
    ],
    [
      { endpoint: 'https://s3.example', regions: { EURO: { bucket: 'eu', prefix: '' } } },
      'EURO',
      { bucket: 'eu', prefix: '', awsRegion: 'us-east-1', endpoint: 'https://s3.example' },
    ],
    [{ regions: { EURO: { bucket: 'eu', prefix: '' } } }, 'NOAM', undefined],
    [{}, 'EURO', undefined],
  ];
  for (const [config, region, expected] of rows)
    t.same(s3Location(s3(config), region), expected, `${JSON.stringify(config)} / ${region}`);
});
