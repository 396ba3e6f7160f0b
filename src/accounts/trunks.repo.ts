// Customer SIP trunks and verified caller IDs, in the customer's regional database.
import type { Queryable } from '../store/db.js';
import type { Region } from '../config/index.js';
import type { CallerIdPolicy, TrunkSettings } from './trunk-settings.js';
import { trunkSettingsOf } from './trunk-settings.js';

export interface Trunk {
  id: string;
  customerId: string;
  region: Region;
  name: string;
  status: 'active' | 'disabled';
  /** Source addresses or CIDRs (IPv4 or IPv6). */
  allowedIps: string[];
  digestUsername: string | null;
  digestRealm: string | null;
  /** Sealed HA1 set (see sip-credentials.ts); never leaves the daemon. */
  digestHa1Enc: Buffer | null;
  maxConcurrent: number | null;
  maxCps: number | null;
  maxExpensivePerHour: number | null;
  callerIdPolicy: CallerIdPolicy;
  settings: TrunkSettings;
  createdAt: Date;
  updatedAt: Date;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rows are mapped field by field */
export const trunkFromRow = (r: any, region: Region): Trunk => ({
  id: r.id,
  customerId: r.customer_id,
  region,
  name: r.name,
  status: r.status,
  allowedIps: r.allowed_ips,
  digestUsername: r.digest_username,
  digestRealm: r.digest_realm,
  digestHa1Enc: r.digest_ha1_enc,
  maxConcurrent: r.max_concurrent,
  maxCps: r.max_cps === null ? null : Number(r.max_cps),
  maxExpensivePerHour: r.max_expensive_per_hour,
  callerIdPolicy: r.caller_id_policy,
  settings: trunkSettingsOf(r.settings),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
/* eslint-enable @typescript-eslint/no-explicit-any */

export type TrunkFields = Pick<
  Trunk,
  | 'id'
  | 'customerId'
  | 'name'
  | 'status'
  | 'allowedIps'
  | 'digestUsername'
  | 'digestRealm'
  | 'digestHa1Enc'
  | 'maxConcurrent'
  | 'maxCps'
  | 'maxExpensivePerHour'
  | 'callerIdPolicy'
  | 'settings'
>;

export async function insertTrunk(q: Queryable, t: TrunkFields, region: Region): Promise<Trunk> {
  const { rows } = await q.query(
    `INSERT INTO sip_trunks (id, customer_id, name, status, allowed_ips, digest_username, digest_realm,
       digest_ha1_enc, max_concurrent, max_cps, max_expensive_per_hour, caller_id_policy, settings)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
    [
      t.id,
      t.customerId,
      t.name,
      t.status,
      t.allowedIps,
      t.digestUsername,
      t.digestRealm,
      t.digestHa1Enc,
      t.maxConcurrent,
      t.maxCps,
      t.maxExpensivePerHour,
      t.callerIdPolicy,
      JSON.stringify(t.settings),
    ],
  );
  return trunkFromRow(rows[0], region);
}

export type TrunkPatch = Partial<
  Pick<
    Trunk,
    | 'name'
    | 'status'
    | 'allowedIps'
    | 'maxConcurrent'
    | 'maxCps'
    | 'maxExpensivePerHour'
    | 'callerIdPolicy'
    | 'settings'
  >
> & { digest?: { username: string; realm: string; ha1Enc: Buffer } | null };

export async function updateTrunk(
  q: Queryable,
  id: string,
  region: Region,
  p: TrunkPatch,
): Promise<Trunk | undefined> {
  const sets: string[] = [];
  const args: unknown[] = [id];
  const set = (column: string, value: unknown) => {
    args.push(value);
    sets.push(`${column} = $${args.length}`);
  };
  if (p.name !== undefined) set('name', p.name);
  if (p.status !== undefined) set('status', p.status);
  if (p.allowedIps !== undefined) set('allowed_ips', p.allowedIps);
  if (p.maxConcurrent !== undefined) set('max_concurrent', p.maxConcurrent);
  if (p.maxCps !== undefined) set('max_cps', p.maxCps);
  if (p.maxExpensivePerHour !== undefined) set('max_expensive_per_hour', p.maxExpensivePerHour);
  if (p.callerIdPolicy !== undefined) set('caller_id_policy', p.callerIdPolicy);
  if (p.settings !== undefined) set('settings', JSON.stringify(p.settings));
  if (p.digest !== undefined) {
    set('digest_username', p.digest?.username ?? null);
    set('digest_realm', p.digest?.realm ?? null);
    set('digest_ha1_enc', p.digest?.ha1Enc ?? null);
  }
  sets.push('updated_at = now()');
  const { rows } = await q.query(`UPDATE sip_trunks SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, args);
  return rows[0] ? trunkFromRow(rows[0], region) : undefined;
}

export async function findTrunk(q: Queryable, id: string, region: Region): Promise<Trunk | undefined> {
  const { rows } = await q.query('SELECT * FROM sip_trunks WHERE id = $1', [id]);
  return rows[0] ? trunkFromRow(rows[0], region) : undefined;
}

export async function listTrunks(
  q: Queryable,
  region: Region,
  opts: { customerId?: string; after?: string; limit: number },
): Promise<Trunk[]> {
  const { rows } = await q.query(
    `SELECT * FROM sip_trunks WHERE ($1::uuid IS NULL OR customer_id = $1::uuid) AND ($2::uuid IS NULL OR id > $2::uuid)
     ORDER BY id LIMIT $3`,
    [opts.customerId ?? null, opts.after ?? null, opts.limit],
  );
  return rows.map((r) => trunkFromRow(r, region));
}

export async function deleteTrunk(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM sip_trunks WHERE id = $1', [id])).rowCount > 0;
}

// --- verified caller IDs -------------------------------------------------------------------------

export interface VerifiedCallerId {
  customerId: string;
  e164: string;
  verifiedAt: Date;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rows are mapped field by field */
const callerIdFromRow = (r: any): VerifiedCallerId => ({
  customerId: r.customer_id,
  e164: r.e164,
  verifiedAt: r.verified_at,
});
/* eslint-enable @typescript-eslint/no-explicit-any */

export async function insertCallerId(q: Queryable, customerId: string, e164: string) {
  const { rows } = await q.query(
    `INSERT INTO verified_caller_ids (customer_id, e164) VALUES ($1, $2)
     ON CONFLICT (customer_id, e164) DO UPDATE SET verified_at = verified_caller_ids.verified_at RETURNING *`,
    [customerId, e164],
  );
  return callerIdFromRow(rows[0]);
}

export async function deleteCallerId(q: Queryable, customerId: string, e164: string): Promise<boolean> {
  return (
    (
      await q.query('DELETE FROM verified_caller_ids WHERE customer_id = $1 AND e164 = $2', [
        customerId,
        e164,
      ])
    ).rowCount > 0
  );
}

export async function listCallerIds(
  q: Queryable,
  opts: { customerId?: string; after?: { customerId: string; e164: string }; limit: number },
): Promise<VerifiedCallerId[]> {
  const { rows } = await q.query(
    `SELECT * FROM verified_caller_ids WHERE ($1::uuid IS NULL OR customer_id = $1::uuid)
       AND ($2::uuid IS NULL OR (customer_id, e164) > ($2::uuid, $3::text))
     ORDER BY customer_id, e164 LIMIT $4`,
    [opts.customerId ?? null, opts.after?.customerId ?? null, opts.after?.e164 ?? null, opts.limit],
  );
  return rows.map(callerIdFromRow);
}
