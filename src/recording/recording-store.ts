// Takes a finished recording off the media server and keeps it: streamed from the file service
// beside FreeSWITCH, sealed (RCS1, a data key per recording wrapped by the region's key) on the way,
// written to the customer's region object store, its row inserted with its expiry, and only then
// the media server's copy deleted. Plaintext never touches this daemon's disk.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Region } from '../config/index.js';
import type { Envelope } from '../crypto/index.js';
import type { ObjectStore } from '../objects/index.js';
import type { RegionRouter } from '../store/region-router.js';
import type { RetentionSettings } from '../accounts/number-settings.js';
import { contentExpiresAt } from '../retention/expiry.policy.js';
import { recordingContext, recordingKey } from '../content/content-refs.js';

export interface StoredRecording {
  id: string;
  sizeBytes: number;
  durationMs: number;
  expiresAt: Date;
}

export interface RecordingFile {
  /** Base URL of the file service (ends in /) and its bearer token. */
  filesUrl: string;
  token: string;
  name: string;
}

export interface StoreRequest {
  id: string;
  customerId: string;
  region: Region;
  callId: string;
  number: string;
  startedAt: Date;
  channels: number;
  retention: RetentionSettings;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** recordings.call_id is a uuid: a call id that is not one maps to a stable name-based uuid. */
export function callUuid(callId: string): string {
  if (UUID.test(callId)) return callId.toLowerCase();
  const h = createHash('sha1').update(`call:${callId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** The media server no longer has the file (restarted, or deleted): retrying cannot help. */
export class RecordingGone extends Error {
  override name = 'RecordingGone';
}

export class RecordingStore {
  constructor(
    private readonly deps: {
      router: RegionRouter;
      objects: ObjectStore;
      envelope: Envelope;
      safetyBufferHours: number;
      now?: () => Date;
    },
  ) {}

  /** Streams, seals and stores the file; inserts the row. Throws on any failure (nothing is deleted). */
  async store(file: RecordingFile, req: StoreRequest): Promise<StoredRecording> {
    const url = new URL(encodeURIComponent(file.name), file.filesUrl);
    const res = await fetch(url, { headers: { authorization: `Bearer ${file.token}` } });
    if (res.status === 404) throw new RecordingGone('the media server no longer has the recording');
    if (res.status !== 200 || !res.body)
      throw new Error(`file service answered ${res.status} for the recording`);
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    const key = recordingKey(req.customerId, req.id);
    const sealer = await this.deps.envelope.sealStream(req.region, recordingContext(req.id));
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    await Promise.all([pipeline(body, count, sealer), this.deps.objects.putStream(req.region, key, sealer)]);
    if (size < 44) throw new Error(`recording too short to be a WAV (${size} bytes)`);
    const durationMs = Math.round(((size - 44) / (req.channels * 2 * 8000)) * 1000);
    const created = this.deps.now?.() ?? new Date();
    const expiresAt = contentExpiresAt(created, req.retention, this.deps.safetyBufferHours);
    await this.deps.router.region(req.region).query(
      `INSERT INTO recordings (id, customer_id, call_id, number, started_at, duration_ms, channels, object_key,
         size_bytes, mime_type, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'audio/wav', $10, $11)
       ON CONFLICT (id) DO NOTHING`,
      [
        req.id,
        req.customerId,
        callUuid(req.callId),
        req.number,
        req.startedAt,
        durationMs,
        req.channels,
        key,
        size,
        expiresAt,
        created,
      ],
    );
    return { id: req.id, sizeBytes: size, durationMs, expiresAt };
  }

  /** Deletes the media server's copy (404 counts as done). */
  async deleteSource(file: RecordingFile): Promise<void> {
    const url = new URL(encodeURIComponent(file.name), file.filesUrl);
    const res = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${file.token}` } });
    if (res.status !== 204 && res.status !== 200 && res.status !== 404)
      throw new Error(`file service answered ${res.status} to DELETE`);
  }
}
