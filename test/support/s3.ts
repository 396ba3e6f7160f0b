// A real S3 protocol server for tests (s3rver over HTTP on a free port, files in a temp dir) and an
// S3ObjectStore pointed at it. Closed when the test ends.
import type { Test } from 'tap';
// s3rver ships no types; only its constructor, run() and close() are used.
// @ts-expect-error -- untyped CommonJS module
import S3rver from 's3rver';
import { S3ObjectStore } from '../../src/objects/index.js';
import { tempDir } from './config.js';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

export interface TestS3 {
  endpoint: string;
  buckets: string[];
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export async function startS3(t: Test, buckets = ['content']): Promise<TestS3> {
  const server = new (S3rver as new (opts: Record<string, unknown>) => S3rverInstance)({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: tempDir(t, 's3rver'),
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  t.teardown(() => server.close());
  return {
    endpoint: `http://127.0.0.1:${port}`,
    buckets,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
}

/** A store with one shared bucket, "<REGION>/" prefixes, and a small part size to exercise multipart. */
export function s3Store(t: Test, s3: TestS3, partSizeBytes = 5 * 1024 * 1024): S3ObjectStore {
  const store = new S3ObjectStore({
    forcePathStyle: true,
    partSizeBytes,
    credentials: s3.credentials,
    locate: (region) => ({
      bucket: s3.buckets[0] as string,
      prefix: `${region}/`,
      awsRegion: 'us-east-1',
      endpoint: s3.endpoint,
    }),
  });
  t.teardown(() => store.close());
  return store;
}
