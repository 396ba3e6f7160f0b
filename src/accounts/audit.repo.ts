// Audit records, written in the same transaction as the change they describe. Details name what
// changed; they never carry secrets or message content.
import type { Queryable } from '../store/db.js';

export interface AuditEntry {
  actor: string;
  action: string;
  resource: string;
  resourceId?: string;
  details?: Record<string, unknown>;
}

/** Customer-side changes: in the customer's regional database. */
export async function auditCustomer(q: Queryable, customerId: string, e: AuditEntry): Promise<void> {
  await q.query(
    'INSERT INTO audit_log (customer_id, actor, action, resource, resource_id, details) VALUES ($1, $2, $3, $4, $5, $6)',
    [customerId, e.actor, e.action, e.resource, e.resourceId ?? null, JSON.stringify(e.details ?? {})],
  );
}

/** Provider-side changes (carriers, routes, operator keys): in the control plane. */
export async function auditControl(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    'INSERT INTO control_audit (actor, action, resource, resource_id, details) VALUES ($1, $2, $3, $4, $5)',
    [e.actor, e.action, e.resource, e.resourceId ?? null, JSON.stringify(e.details ?? {})],
  );
}
