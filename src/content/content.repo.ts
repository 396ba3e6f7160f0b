// SQL for the lifecycle of content rows (recordings, message_content), shared by the API, the
// customer erase and the sweeper so there is one way content is deleted:
//
//   1. mark      deleted_at/deleted_reason set in one statement (with the audit record, for the API);
//                from here the row is deleted to every reader, and a message body (in the row) is gone
//   2. objects   the row's objects are deleted from the store (idempotent)
//   3. finish    purge (expired: the row is deleted) or tombstone (customer: the row stays as the
//                record of the deletion, without object references)
//
// A crash between any two steps leaves a marked row whose objects may or may not exist; the sweeper
// finds it again (expired rows by expires_at, the others as pending deletions) and repeats 2 and 3.
import type { Queryable } from '../store/db.js';
import { mediaItems } from './content-refs.js';

export type ContentKind = 'recording' | 'message_content';
export const CONTENT_KINDS: readonly ContentKind[] = ['recording', 'message_content'];
export type DeletedReason = 'expired' | 'customer' | 'operator' | 'erase';

/** A marked row and the object keys it still references. */
export interface MarkedContent {
  id: string;
  customerId: string;
  objectKeys: string[];
}

interface Spec {
  table: string;
  id: string;
  refs: string;
  /** Set by every mark: content held in the row itself goes at once. */
  onMark: string;
  tombstone: string;
  pending: string;
}

const SPECS: Record<ContentKind, Spec> = {
  recording: {
    table: 'recordings',
    id: 'id',
    refs: 'object_key',
    onMark: '',
    tombstone: 'object_key = NULL',
    pending: 'deleted_at IS NOT NULL AND object_key IS NOT NULL',
  },
  message_content: {
    table: 'message_content',
    id: 'message_id',
    refs: 'media',
    onMark: ', body_enc = NULL',
    tombstone: "body_enc = NULL, media = '[]'::jsonb",
    pending: "deleted_at IS NOT NULL AND (body_enc IS NOT NULL OR media <> '[]'::jsonb)",
  },
};

interface Row {
  id: string;
  customer_id: string;
  refs: unknown;
}

function toMarked(kind: ContentKind, r: Row): MarkedContent {
  const keys =
    kind === 'recording'
      ? typeof r.refs === 'string'
        ? [r.refs]
        : []
      : mediaItems(r.refs).map((m) => m.objectKey);
  return { id: r.id, customerId: r.customer_id, objectKeys: keys };
}

/** Marks up to `limit` rows whose expiry has passed (any state) and returns them. */
export async function markExpired(
  q: Queryable,
  kind: ContentKind,
  now: Date,
  limit: number,
): Promise<MarkedContent[]> {
  const s = SPECS[kind];
  const { rows } = await q.query<Row>(
    `UPDATE ${s.table} SET deleted_at = COALESCE(deleted_at, $1), deleted_reason = COALESCE(deleted_reason, 'expired')${s.onMark}
     WHERE ${s.id} IN (SELECT ${s.id} FROM ${s.table} WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING ${s.id} AS id, customer_id, ${s.refs} AS refs`,
    [now, limit],
  );
  return rows.map((r) => toMarked(kind, r));
}

/**
 * Marks a customer's rows deleted: the ones named (or all when ids is undefined) that are not yet.
 * Rows of other customers are never touched: the customer id is part of every condition.
 */
export async function markForCustomer(
  q: Queryable,
  kind: ContentKind,
  customerId: string,
  ids: string[] | undefined,
  reason: DeletedReason,
  now: Date,
): Promise<MarkedContent[]> {
  const s = SPECS[kind];
  const { rows } = await q.query<Row>(
    `UPDATE ${s.table} SET deleted_at = $2, deleted_reason = $3${s.onMark}
     WHERE customer_id = $1 AND deleted_at IS NULL AND ($4::uuid[] IS NULL OR ${s.id} = ANY($4::uuid[]))
     RETURNING ${s.id} AS id, customer_id, ${s.refs} AS refs`,
    [customerId, now, reason, ids ?? null],
  );
  return rows.map((r) => toMarked(kind, r));
}

/** Marked rows whose objects may still exist (a deletion interrupted before it finished). */
export async function pendingDeletions(
  q: Queryable,
  kind: ContentKind,
  limit: number,
  customerId?: string,
): Promise<MarkedContent[]> {
  const s = SPECS[kind];
  const { rows } = await q.query<Row>(
    `SELECT ${s.id} AS id, customer_id, ${s.refs} AS refs FROM ${s.table}
     WHERE ${s.pending} AND ($2::uuid IS NULL OR customer_id = $2::uuid) ORDER BY deleted_at LIMIT $1`,
    [limit, customerId ?? null],
  );
  return rows.map((r) => toMarked(kind, r));
}

/** Deletes marked rows (expired content); rows not marked are left alone. */
export async function purgeRows(q: Queryable, kind: ContentKind, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const s = SPECS[kind];
  const { rowCount } = await q.query(
    `DELETE FROM ${s.table} WHERE ${s.id} = ANY($1::uuid[]) AND deleted_at IS NOT NULL`,
    [ids],
  );
  return rowCount;
}

/** Clears the object references of marked rows, keeping them as the record of the deletion. */
export async function tombstoneRows(q: Queryable, kind: ContentKind, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const s = SPECS[kind];
  const { rowCount } = await q.query(
    `UPDATE ${s.table} SET ${s.tombstone} WHERE ${s.id} = ANY($1::uuid[]) AND deleted_at IS NOT NULL`,
    [ids],
  );
  return rowCount;
}

/** The oldest expiry still present (overdue when <= now), for the overdue-age metric. */
export async function oldestExpiry(q: Queryable, kind: ContentKind): Promise<Date | undefined> {
  const s = SPECS[kind];
  const { rows } = await q.query<{ e: Date | null }>(`SELECT min(expires_at) AS e FROM ${s.table}`);
  return rows[0]?.e ?? undefined;
}
