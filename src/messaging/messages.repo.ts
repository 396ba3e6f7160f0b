// SQL of messaging in the customer's regional database: MDR rows, the outbound queue, the delivery
// outbox. A message's MDR and its queue/outbox rows are written in one transaction by the callers.
import type { Queryable } from '../store/db.js';
import type { MessageDirection, MessageStatus } from '../records/mdr.kind.js';

/** status_version per status: a write only moves a message forward. */
export const STATUS_VERSION: Record<MessageStatus, number> = {
  received: 1,
  queued: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
};

export interface NewMdr {
  id: string;
  customerId: string;
  createdAt: Date;
  direction: MessageDirection;
  sender: string;
  recipient: string;
  parts: number;
  encoding: string | null;
  status: MessageStatus;
  carrier: string | null;
  media: { size: number; mimeType: string }[] | null;
  incomplete?: boolean;
}

export async function insertMdr(q: Queryable, m: NewMdr): Promise<void> {
  await q.query(
    `INSERT INTO mdrs (id, customer_id, created_at, direction, sender, recipient, parts, encoding, status,
       carrier, media, status_version, incomplete)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)
     ON CONFLICT (id, created_at) DO NOTHING`,
    [
      m.id,
      m.customerId,
      m.createdAt,
      m.direction,
      m.sender,
      m.recipient,
      m.parts,
      m.encoding,
      m.status,
      m.carrier,
      m.media ? JSON.stringify(m.media) : null,
      STATUS_VERSION[m.status],
      m.incomplete ?? false,
    ],
  );
}

/** Moves a message's status forward; false when it already was at or past that stage. */
export async function updateMdrStatus(
  q: Queryable,
  id: string,
  status: MessageStatus,
  extra: {
    errorCode?: string | null;
    carrier?: string;
    submittedAt?: Date;
    doneAt?: Date;
    possibleDuplicate?: boolean;
  } = {},
): Promise<boolean> {
  const r = await q.query(
    `UPDATE mdrs SET status = $2, status_version = $3, updated_at = now(),
       error_code = COALESCE($4, error_code), carrier = COALESCE($5, carrier),
       submitted_at = COALESCE($6, submitted_at), done_at = COALESCE($7, done_at),
       possible_duplicate = possible_duplicate OR $8
     WHERE id = $1 AND status_version < $3`,
    [
      id,
      status,
      STATUS_VERSION[status],
      extra.errorCode ?? null,
      extra.carrier ?? null,
      extra.submittedAt ?? null,
      extra.doneAt ?? null,
      extra.possibleDuplicate ?? false,
    ],
  );
  return r.rowCount > 0;
}

export interface OutboxInsert {
  id: string;
  messageId: string;
  customerId: string;
  channel: 'webhook' | 'mail';
  event: string;
  target: string;
  payloadEnc: Buffer;
  /** Pre-claimed by this instance, which attempts it at once (no wait for the poller). */
  lockedBy?: string;
  leaseMs?: number;
}

/** True when the row was inserted (false: that delivery of that message already exists). */
export async function insertOutbox(q: Queryable, o: OutboxInsert): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO message_outbox (id, message_id, customer_id, channel, event, target, payload_enc,
       locked_by, locked_until, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
       CASE WHEN $8::text IS NULL THEN NULL ELSE now() + make_interval(secs => $9::float8 / 1000) END,
       CASE WHEN $8::text IS NULL THEN 0 ELSE 1 END)
     ON CONFLICT (message_id, channel, event) DO NOTHING`,
    [
      o.id,
      o.messageId,
      o.customerId,
      o.channel,
      o.event,
      o.target,
      o.payloadEnc,
      o.lockedBy ?? null,
      o.leaseMs ?? 0,
    ],
  );
  return r.rowCount > 0;
}

export interface OutboxRow {
  id: string;
  message_id: string;
  customer_id: string;
  channel: 'webhook' | 'mail';
  event: string;
  target: string;
  payload_enc: Buffer | null;
  attempts: number;
  created_at: Date;
}

/** Takes up to `limit` due deliveries for `holder` until leaseMs from now. */
export async function claimOutbox(
  q: Queryable,
  holder: string,
  limit: number,
  leaseMs: number,
): Promise<OutboxRow[]> {
  const { rows } = await q.query<OutboxRow>(
    `UPDATE message_outbox SET locked_by = $1, locked_until = now() + make_interval(secs => $3::float8 / 1000),
       attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM message_outbox
        WHERE state = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
        ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING id, message_id, customer_id, channel, event, target, payload_enc, attempts, created_at`,
    [holder, limit, leaseMs],
  );
  return rows;
}

export interface OutboundRow {
  message_id: string;
  customer_id: string;
  created_at: Date;
  sender: string;
  recipient: string;
  body_enc: Buffer | null;
  tlvs: Record<string, string>;
  callback_url: string | null;
  attempts: number;
}

const OUTBOUND_COLS =
  'message_id, customer_id, created_at, sender, recipient, body_enc, tlvs, callback_url, attempts';

export async function claimOutbound(
  q: Queryable,
  holder: string,
  limit: number,
  leaseMs: number,
): Promise<OutboundRow[]> {
  const { rows } = await q.query<OutboundRow>(
    `UPDATE sms_outbound SET locked_by = $1, locked_until = now() + make_interval(secs => $3::float8 / 1000),
       attempts = attempts + 1
     WHERE message_id IN (
       SELECT message_id FROM sms_outbound
        WHERE state = 'queued' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
        ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING ${OUTBOUND_COLS}`,
    [holder, limit, leaseMs],
  );
  return rows;
}
