// Helpers that write content exactly as the recording and messaging features do: sealed objects in
// the customer's region, rows with expiry, media items of the documented shape.
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Region } from '../../src/config/index.js';
import type { Envelope } from '../../src/crypto/index.js';
import type { ObjectStore } from '../../src/objects/index.js';
import type { RegionRouter } from '../../src/store/region-router.js';
import {
  mediaContext,
  mediaKey,
  messageBodyContext,
  recordingContext,
  recordingKey,
  type MediaItem,
} from '../../src/content/content-refs.js';

export interface ContentDeps {
  router: RegionRouter;
  objects: ObjectStore;
  envelope: Envelope;
}

/** A WAV-looking payload: the header of a WAV file, then random audio bytes. */
export function fakeWav(bytes = 4000): Buffer {
  return Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), randomBytes(bytes)]);
}

export async function addRecording(
  deps: ContentDeps,
  region: Region,
  customerId: string,
  opts: { expiresAt: Date; number?: string; startedAt?: Date; audio?: Buffer; createdAt?: Date },
): Promise<{ id: string; key: string; audio: Buffer }> {
  const id = randomUUID();
  const key = recordingKey(customerId, id);
  const audio = opts.audio ?? fakeWav();
  const sealer = await deps.envelope.sealStream(region, recordingContext(id));
  await deps.objects.putStream(region, key, Readable.from([audio]).pipe(sealer));
  await deps.router.region(region).query(
    `INSERT INTO recordings (id, customer_id, call_id, number, started_at, duration_ms, channels, object_key, size_bytes, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, 5000, 2, $6, $7, $8, $9)`,
    [
      id,
      customerId,
      randomUUID(),
      opts.number ?? '+12025550100',
      opts.startedAt ?? new Date(),
      key,
      audio.length,
      opts.expiresAt,
      opts.createdAt ?? new Date(),
    ],
  );
  return { id, key, audio };
}

export async function addMessageContent(
  deps: ContentDeps,
  region: Region,
  customerId: string,
  opts: { expiresAt: Date; body?: string; media?: Buffer[]; messageId?: string; createdAt?: Date },
): Promise<{ messageId: string; body: string; media: { key: string; data: Buffer }[] }> {
  const messageId = opts.messageId ?? randomUUID();
  const body = opts.body ?? `hello ${messageId.slice(0, 8)}`;
  const media: { key: string; data: Buffer }[] = [];
  const items: MediaItem[] = [];
  for (const [i, data] of (opts.media ?? []).entries()) {
    const key = mediaKey(customerId, messageId, i);
    await deps.objects.put(region, key, await deps.envelope.seal(region, data, mediaContext(messageId, key)));
    media.push({ key, data });
    items.push({ objectKey: key, size: data.length, mimeType: 'image/png' });
  }
  await deps.router.region(region).query(
    `INSERT INTO message_content (message_id, customer_id, body_enc, media, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      messageId,
      customerId,
      await deps.envelope.seal(region, Buffer.from(body), messageBodyContext(messageId)),
      JSON.stringify(items),
      opts.expiresAt,
      opts.createdAt ?? new Date(),
    ],
  );
  return { messageId, body, media };
}
