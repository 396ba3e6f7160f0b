// Customer API keys (regional database) and operator keys (control plane). Only scrypt hashes of
// the secrets are stored.
import type { Queryable } from '../store/db.js';

export interface StoredKey {
  id: string;
  name: string;
  customerId: string | null;
  secretHash: string;
  createdAt: Date;
  revokedAt: Date | null;
}

interface Row {
  id: string;
  name: string;
  customer_id?: string;
  secret_hash: string;
  created_at: Date;
  revoked_at: Date | null;
}

function fromRow(r: Row): StoredKey {
  return {
    id: r.id,
    name: r.name,
    customerId: r.customer_id ?? null,
    secretHash: r.secret_hash,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

export type KeyTable = 'api_keys' | 'operator_keys';

export async function insertKey(
  q: Queryable,
  table: KeyTable,
  k: { id: string; name: string; secretHash: string; customerId?: string },
): Promise<StoredKey> {
  const { rows } =
    table === 'api_keys'
      ? await q.query<Row>(
          'INSERT INTO api_keys (id, customer_id, name, secret_hash) VALUES ($1, $2, $3, $4) RETURNING *',
          [k.id, k.customerId, k.name, k.secretHash],
        )
      : await q.query<Row>(
          'INSERT INTO operator_keys (id, name, secret_hash) VALUES ($1, $2, $3) RETURNING *',
          [k.id, k.name, k.secretHash],
        );
  return fromRow(rows[0] as Row);
}

export async function findKey(q: Queryable, table: KeyTable, id: string): Promise<StoredKey | undefined> {
  const { rows } = await q.query<Row>(`SELECT * FROM ${table} WHERE id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function listKeys(q: Queryable, table: KeyTable, customerId?: string): Promise<StoredKey[]> {
  const { rows } =
    table === 'api_keys'
      ? await q.query<Row>('SELECT * FROM api_keys WHERE customer_id = $1 ORDER BY created_at', [customerId])
      : await q.query<Row>('SELECT * FROM operator_keys ORDER BY created_at');
  return rows.map(fromRow);
}

/** Returns false when the key did not exist or was already revoked. */
export async function revokeKey(q: Queryable, table: KeyTable, id: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE ${table} SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
    [id],
  );
  return rowCount > 0;
}
