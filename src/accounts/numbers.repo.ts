// Numbers and their settings, in the owner's regional database.
import type { Queryable } from '../store/db.js';
import type { Region } from '../config/index.js';
import type {
  NumberEntry,
  NumberStatus,
  VoiceSettings,
  MessagingSettings,
  RecordingSettings,
  RetentionSettings,
} from './number-settings.js';

export interface NumberRecord extends NumberEntry {
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  e164: string;
  customer_id: string;
  country: string;
  status: NumberStatus;
  voice: VoiceSettings;
  messaging: MessagingSettings;
  recording: RecordingSettings;
  retention: RetentionSettings;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export function numberFromRow(r: Row, region: Region): NumberRecord {
  return {
    e164: r.e164,
    customerId: r.customer_id,
    region,
    country: r.country,
    status: r.status,
    voice: r.voice,
    messaging: r.messaging,
    recording: r.recording,
    retention: r.retention,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type NumberFields = Pick<
  NumberEntry,
  'e164' | 'customerId' | 'country' | 'status' | 'voice' | 'messaging' | 'recording' | 'retention'
>;

export async function insertNumber(q: Queryable, n: NumberFields, region: Region): Promise<NumberRecord> {
  const { rows } = await q.query<Row>(
    `INSERT INTO numbers (e164, customer_id, country, status, voice, messaging, recording, retention)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      n.e164,
      n.customerId,
      n.country,
      n.status,
      JSON.stringify(n.voice),
      JSON.stringify(n.messaging),
      JSON.stringify(n.recording),
      JSON.stringify(n.retention),
    ],
  );
  return numberFromRow(rows[0] as Row, region);
}

export async function findNumber(
  q: Queryable,
  e164: string,
  region: Region,
): Promise<NumberRecord | undefined> {
  const { rows } = await q.query<Row>('SELECT * FROM numbers WHERE e164 = $1', [e164]);
  return rows[0] ? numberFromRow(rows[0], region) : undefined;
}

export async function listNumbers(
  q: Queryable,
  region: Region,
  opts: { customerId?: string; after?: string; limit: number },
): Promise<NumberRecord[]> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM numbers WHERE ($1::uuid IS NULL OR customer_id = $1::uuid) AND ($2::text IS NULL OR e164 > $2::text)
     ORDER BY e164 LIMIT $3`,
    [opts.customerId ?? null, opts.after ?? null, opts.limit],
  );
  return rows.map((r) => numberFromRow(r, region));
}

export async function updateNumber(
  q: Queryable,
  e164: string,
  region: Region,
  patch: Partial<Pick<NumberEntry, 'status' | 'voice' | 'messaging' | 'recording' | 'retention'>>,
): Promise<NumberRecord | undefined> {
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  const { rows } = await q.query<Row>(
    `UPDATE numbers SET
       status = COALESCE($2, status),
       voice = COALESCE($3::jsonb, voice),
       messaging = COALESCE($4::jsonb, messaging),
       recording = COALESCE($5::jsonb, recording),
       retention = COALESCE($6::jsonb, retention),
       version = version + 1,
       updated_at = now()
     WHERE e164 = $1 RETURNING *`,
    [
      e164,
      patch.status ?? null,
      json(patch.voice),
      json(patch.messaging),
      json(patch.recording),
      json(patch.retention),
    ],
  );
  return rows[0] ? numberFromRow(rows[0], region) : undefined;
}

export async function deleteNumber(q: Queryable, e164: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM numbers WHERE e164 = $1', [e164]);
  return rowCount > 0;
}
