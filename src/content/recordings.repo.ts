// Recording metadata rows (the audio itself is a sealed object; content-refs.ts says where).
import type { Queryable } from '../store/db.js';

export interface Recording {
  id: string;
  customerId: string;
  callId: string;
  number: string;
  startedAt: Date;
  durationMs: number | null;
  channels: number;
  objectKey: string | null;
  sizeBytes: number | null;
  mimeType: string;
  expiresAt: Date;
  deletedAt: Date | null;
  deletedReason: string | null;
  createdAt: Date;
}

interface Row {
  id: string;
  customer_id: string;
  call_id: string;
  number: string;
  started_at: Date;
  duration_ms: number | null;
  channels: number;
  object_key: string | null;
  size_bytes: number | null;
  mime_type: string;
  expires_at: Date;
  deleted_at: Date | null;
  deleted_reason: string | null;
  created_at: Date;
}

const fromRow = (r: Row): Recording => ({
  id: r.id,
  customerId: r.customer_id,
  callId: r.call_id,
  number: r.number,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  channels: r.channels,
  objectKey: r.object_key,
  sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
  mimeType: r.mime_type,
  expiresAt: r.expires_at,
  deletedAt: r.deleted_at,
  deletedReason: r.deleted_reason,
  createdAt: r.created_at,
});

export async function findRecording(
  q: Queryable,
  id: string,
  customerId: string | undefined,
): Promise<Recording | undefined> {
  const { rows } = await q.query<Row>(
    'SELECT * FROM recordings WHERE id = $1 AND ($2::uuid IS NULL OR customer_id = $2::uuid)',
    [id, customerId ?? null],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export interface RecordingFilter {
  customerId: string;
  number?: string;
  from?: Date;
  to?: Date;
  includeDeleted: boolean;
  /** Keyset cursor: the (startedAt, id) of the last item of the previous page. */
  after?: { startedAt: Date; id: string };
  limit: number;
}

/** Newest first. */
export async function listRecordings(q: Queryable, f: RecordingFilter): Promise<Recording[]> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM recordings
     WHERE customer_id = $1
       AND ($2::text IS NULL OR number = $2::text)
       AND ($3::timestamptz IS NULL OR started_at >= $3::timestamptz)
       AND ($4::timestamptz IS NULL OR started_at < $4::timestamptz)
       AND ($5::boolean OR deleted_at IS NULL)
       AND ($6::timestamptz IS NULL OR (started_at, id) < ($6::timestamptz, $7::uuid))
     ORDER BY started_at DESC, id DESC LIMIT $8`,
    [
      f.customerId,
      f.number ?? null,
      f.from ?? null,
      f.to ?? null,
      f.includeDeleted,
      f.after?.startedAt ?? null,
      f.after?.id ?? null,
      f.limit,
    ],
  );
  return rows.map(fromRow);
}
