// Object store on S3 or an S3-compatible service (GCS and OCI through their S3 endpoints, MinIO).
// Each region maps to a bucket and a key prefix; a region without a location is refused, so content
// can never land in another region's bucket by default. Streams of unknown length are uploaded as
// multipart uploads (aborted on failure, so no partial object ever becomes visible).
import {
  S3Client,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { type ObjectStore, ObjectNotFound, checkKey } from './object-store.js';

export interface S3Location {
  bucket: string;
  /** Prefix before every key, e.g. "EURO/" in a shared bucket; may be empty. */
  prefix: string;
  awsRegion: string;
  endpoint?: string;
}

export interface S3StoreOptions {
  /** Where each region's objects live. */
  locate(region: string): S3Location | undefined;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  partSizeBytes: number;
}

const isNotFound = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

export class S3ObjectStore implements ObjectStore {
  readonly name = 's3';
  readonly #clients = new Map<string, S3Client>();

  constructor(private readonly opts: S3StoreOptions) {}

  #where(region: string, key: string): { client: S3Client; Bucket: string; Key: string } {
    checkKey(region);
    checkKey(key);
    const loc = this.#location(region);
    return { client: this.#client(loc), Bucket: loc.bucket, Key: `${loc.prefix}${key}` };
  }

  #location(region: string): S3Location {
    const loc = this.opts.locate(region);
    if (!loc) throw new Error(`no object storage configured for region ${region}`);
    return loc;
  }

  #client(loc: S3Location): S3Client {
    const id = `${loc.endpoint ?? ''}|${loc.awsRegion}`;
    let client = this.#clients.get(id);
    if (!client) {
      client = new S3Client({
        region: loc.awsRegion,
        forcePathStyle: this.opts.forcePathStyle,
        maxAttempts: 3,
        ...(loc.endpoint ? { endpoint: loc.endpoint } : {}),
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      });
      this.#clients.set(id, client);
    }
    return client;
  }

  async put(region: string, key: string, body: Buffer): Promise<void> {
    const { client, Bucket, Key } = this.#where(region, key);
    await client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length }));
  }

  async putStream(region: string, key: string, body: Readable): Promise<number> {
    const { client, Bucket, Key } = this.#where(region, key);
    const partSize = this.opts.partSizeBytes;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let total = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    const uploadPart = async (data: Buffer) => {
      if (!uploadId) {
        const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
        uploadId = created.UploadId;
        if (!uploadId) throw new Error('S3 CreateMultipartUpload returned no upload id');
      }
      const PartNumber = parts.length + 1;
      const out = await client.send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId: uploadId,
          PartNumber,
          Body: data,
          ContentLength: data.length,
        }),
      );
      parts.push({ PartNumber, ETag: out.ETag });
    };
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        total += chunk.length;
        if (pendingBytes >= partSize) {
          const all = Buffer.concat(pending);
          await uploadPart(all.subarray(0, partSize));
          pending = [all.subarray(partSize)];
          pendingBytes = all.length - partSize;
        }
      }
      const rest = Buffer.concat(pending);
      // A small object is one PUT; a large one ends with its last (possibly short) part.
      if (!uploadId) {
        await client.send(new PutObjectCommand({ Bucket, Key, Body: rest, ContentLength: rest.length }));
        return total;
      }
      if (rest.length > 0) await uploadPart(rest);
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return total;
    } catch (err) {
      if (uploadId)
        await client
          .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }))
          .catch(() => undefined);
      body.destroy();
      throw err;
    }
  }

  async #getBody(region: string, key: string, range?: string): Promise<Readable> {
    const { client, Bucket, Key } = this.#where(region, key);
    try {
      const out = await client.send(
        new GetObjectCommand({ Bucket, Key, ...(range ? { Range: range } : {}) }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFound(region, key);
      throw err;
    }
  }

  async get(region: string, key: string): Promise<Buffer> {
    return collect(await this.#getBody(region, key));
  }

  async getStream(region: string, key: string): Promise<Readable> {
    return this.#getBody(region, key);
  }

  async getRange(region: string, key: string, start: number, length: number): Promise<Buffer> {
    const size = await this.size(region, key);
    if (size === undefined) throw new ObjectNotFound(region, key);
    // An unsatisfiable range is an error in S3; an empty read here.
    if (start >= size || length <= 0) return Buffer.alloc(0);
    const end = Math.min(size, start + length) - 1;
    return collect(await this.#getBody(region, key, `bytes=${start}-${end}`));
  }

  async size(region: string, key: string): Promise<number | undefined> {
    const { client, Bucket, Key } = this.#where(region, key);
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket, Key }));
      return out.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(region: string, key: string): Promise<void> {
    const { client, Bucket, Key } = this.#where(region, key);
    // S3 answers 204 for a missing key too: deletion is idempotent by nature.
    await client.send(new DeleteObjectCommand({ Bucket, Key }));
  }

  async exists(region: string, key: string): Promise<boolean> {
    return (await this.size(region, key)) !== undefined;
  }

  async *list(region: string, prefix: string): AsyncIterable<string> {
    checkKey(region);
    const loc = this.#location(region);
    const client = this.#client(loc);
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: loc.bucket,
          Prefix: `${loc.prefix}${prefix}`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key.slice(loc.prefix.length);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    for (const c of this.#clients.values()) c.destroy();
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
