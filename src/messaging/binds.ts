// SMPP binds of the routing plan as the bind pool runs them: the password comes from configuration
// (messaging.bind.passwords, by bind name) or, failing that, from smpp_binds.password_enc, sealed
// under the control-plane key ring. Operators add binds through the API (messaging.routes.ts).
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Queryable } from '../store/db.js';
import type { Envelope } from '../crypto/index.js';
import type { PlanSnapshot } from '../plan/plan-cache.js';
import type { SmppBind } from '../plan/plan.repo.js';
import type { BindOptions, BindType } from './smpp/bind.js';

export const bindPasswordContext = (id: string) => `smpp-bind:${id}`;

export async function bindOptionsFromPlan(
  plan: PlanSnapshot,
  config: Config['messaging'],
  envelope: Envelope,
  onError: (bind: SmppBind, err: Error) => void,
): Promise<BindOptions[]> {
  const out: BindOptions[] = [];
  for (const b of plan.binds) {
    const carrier = plan.carriers.get(b.carrierId);
    if (!carrier || carrier.status !== 'active') continue;
    let password: string;
    try {
      const fromConfig = config.bind.passwords[b.name];
      if (fromConfig) password = fromConfig.reveal();
      else if (b.passwordEnc)
        password = (await envelope.open(b.passwordEnc, bindPasswordContext(b.id))).toString('utf8');
      else password = '';
    } catch (err) {
      onError(b, err as Error);
      continue;
    }
    const c = config.bind;
    out.push({
      id: b.id,
      name: b.name,
      carrierId: b.carrierId,
      host: b.host,
      port: b.port,
      tls: b.tls,
      systemId: b.systemId,
      password,
      ...(typeof b.settings.systemType === 'string' ? { systemType: b.settings.systemType } : {}),
      bindType: b.bindType as BindType,
      windowSize: b.windowSize,
      maxMps: b.maxMps,
      responseTimeoutMs: c.responseTimeoutMs,
      enquireLinkMs: c.enquireLinkMs,
      connectTimeoutMs: c.connectTimeoutMs,
      reconnectMinMs: c.reconnectMinMs,
      reconnectMaxMs: c.reconnectMaxMs,
      throttlePauseMs: c.throttlePauseMs,
      deadAfterTimeouts: c.deadAfterTimeouts,
      rejectUnauthorized: c.rejectUnauthorized,
    });
  }
  return out;
}

export interface NewBind {
  carrierId: string;
  name: string;
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  password?: string;
  bindType: BindType;
  windowSize: number;
  maxMps: number;
  settings?: Record<string, unknown>;
}

/** Inserts a bind, its password sealed under the control ring; the caller audits and invalidates. */
export async function insertBind(control: Queryable, envelope: Envelope, b: NewBind): Promise<string> {
  const id = randomUUID();
  const passwordEnc = b.password
    ? await envelope.seal('control', Buffer.from(b.password, 'utf8'), bindPasswordContext(id))
    : null;
  await control.query(
    `INSERT INTO smpp_binds (id, carrier_id, name, host, port, tls, system_id, password_enc, bind_type,
       window_size, max_mps, settings)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)`,
    [
      id,
      b.carrierId,
      b.name,
      b.host,
      b.port,
      b.tls,
      b.systemId,
      passwordEnc,
      b.bindType,
      b.windowSize,
      b.maxMps,
      JSON.stringify(b.settings ?? {}),
    ],
  );
  return id;
}
