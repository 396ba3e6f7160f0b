// Customers, in their billing region's database.
import type { Queryable } from '../store/db.js';
import type { Region } from '../config/index.js';

export type CustomerStatus = 'active' | 'suspended' | 'closed';

export interface Customer {
  id: string;
  name: string;
  billingRegion: Region;
  status: CustomerStatus;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  name: string;
  billing_region: Region;
  status: CustomerStatus;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, billing_region, status, created_at, updated_at';

function fromRow(r: Row): Customer {
  return {
    id: r.id,
    name: r.name,
    billingRegion: r.billing_region,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insertCustomer(
  q: Queryable,
  c: { id: string; name: string; region: Region },
): Promise<Customer> {
  const { rows } = await q.query<Row>(
    `INSERT INTO customers (id, name, billing_region) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    [c.id, c.name, c.region],
  );
  return fromRow(rows[0] as Row);
}

export async function findCustomer(q: Queryable, id: string): Promise<Customer | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM customers WHERE id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Keyset pagination by id. */
export async function listCustomers(
  q: Queryable,
  after: string | undefined,
  limit: number,
): Promise<Customer[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM customers WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
    [after ?? null, limit],
  );
  return rows.map(fromRow);
}

export async function updateCustomer(
  q: Queryable,
  id: string,
  patch: { name?: string; status?: CustomerStatus },
): Promise<Customer | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE customers SET name = COALESCE($2, name), status = COALESCE($3, status), updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, patch.name ?? null, patch.status ?? null],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}
