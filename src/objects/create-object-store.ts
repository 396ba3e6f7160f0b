// Chooses the object store from configuration (objects.driver).
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { ObjectStore } from './object-store.js';
import { FsObjectStore } from './fs.object-store.js';
import { S3ObjectStore, type S3Location } from './s3.object-store.js';

export function createObjectStore(
  objects: Config['objects'],
  dataDir: string,
): ObjectStore & { close?(): void } {
  if (objects.driver === 'fs') return new FsObjectStore(objects.dir || path.join(dataDir, 'objects'));
  const s3 = objects.s3;
  if (Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey))
    throw new Error('objects.s3: give both accessKeyId and secretAccessKey, or neither');
  return new S3ObjectStore({
    forcePathStyle: s3.forcePathStyle,
    partSizeBytes: s3.partSizeBytes,
    ...(s3.accessKeyId && s3.secretAccessKey
      ? {
          credentials: { accessKeyId: s3.accessKeyId.reveal(), secretAccessKey: s3.secretAccessKey.reveal() },
        }
      : {}),
    locate: (region) => s3Location(s3, region),
  });
}

/** A region's own bucket when listed, else "<prefix><REGION>/" in the shared bucket, else none. */
export function s3Location(s3: Config['objects']['s3'], region: string): S3Location | undefined {
  const own = (
    s3.regions as Record<string, Config['objects']['s3']['regions'][keyof Config['objects']['s3']['regions']]>
  )[region];
  const endpoint = own?.endpoint ?? s3.endpoint;
  const common = { awsRegion: own?.awsRegion ?? s3.awsRegion, ...(endpoint ? { endpoint } : {}) };
  if (own) return { bucket: own.bucket, prefix: own.prefix, ...common };
  if (s3.bucket) return { bucket: s3.bucket, prefix: `${s3.prefix}${region}/`, ...common };
  return undefined;
}
