// The routing plan in the control plane: carriers, their SIP gateways and SMPP binds, and routes.
import type { Queryable } from '../store/db.js';
import type { Region } from '../config/index.js';
import type { CarrierCategory, CarrierSettings } from './carrier-settings.js';

export interface Carrier {
  id: string;
  name: string;
  category: CarrierCategory;
  countries: string[];
  regions: Region[];
  status: 'active' | 'disabled';
  /** 1 primary, 2 secondary. */
  tier: 1 | 2;
  /** An in-country licensee in each of `countries`. */
  licensed: boolean;
  settings: CarrierSettings;
  createdAt: Date;
  updatedAt: Date;
}

export interface Gateway {
  id: string;
  carrierId: string;
  direction: 'inbound' | 'outbound' | 'both';
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  priority: number;
  /** Inbound recognition also matches the source port / transport. */
  matchPort: boolean;
  matchTransport: boolean;
  settings: Record<string, unknown>;
}

/** Per-country voice rules. */
export interface VoiceCountry {
  country: string;
  requiresLicensed: boolean;
  pin: 'none' | 'country' | 'region';
}

export interface Route {
  id: string;
  kind: 'voice' | 'sms';
  prefix: string;
  carrierId: string;
  priority: number;
  cost: number;
}

export interface SmppBind {
  id: string;
  carrierId: string;
  name: string;
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  passwordEnc: Buffer | null;
  bindType: 'transceiver' | 'transmitter' | 'receiver';
  windowSize: number;
  maxMps: number;
  settings: Record<string, unknown>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rows are mapped field by field below */
const carrierFromRow = (r: any): Carrier => ({
  id: r.id,
  name: r.name,
  category: r.category,
  countries: r.countries,
  regions: r.regions,
  status: r.status,
  tier: r.tier ?? 1,
  licensed: r.licensed ?? false,
  settings: r.settings,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const gatewayFromRow = (r: any): Gateway => ({
  id: r.id,
  carrierId: r.carrier_id,
  direction: r.direction,
  host: r.host,
  port: r.port,
  transport: r.transport,
  priority: r.priority,
  matchPort: r.match_port ?? false,
  matchTransport: r.match_transport ?? false,
  settings: r.settings,
});
const countryFromRow = (r: any): VoiceCountry => ({
  country: r.country,
  requiresLicensed: r.requires_licensed,
  pin: r.pin,
});
const routeFromRow = (r: any): Route => ({
  id: r.id,
  kind: r.kind,
  prefix: r.prefix,
  carrierId: r.carrier_id,
  priority: r.priority,
  cost: Number(r.cost),
});
const bindFromRow = (r: any): SmppBind => ({
  id: r.id,
  carrierId: r.carrier_id,
  name: r.name,
  host: r.host,
  port: r.port,
  tls: r.tls,
  systemId: r.system_id,
  passwordEnc: r.password_enc,
  bindType: r.bind_type,
  windowSize: r.window_size,
  maxMps: r.max_mps,
  settings: r.settings,
});
/* eslint-enable @typescript-eslint/no-explicit-any */

export async function insertCarrier(
  q: Queryable,
  c: Pick<Carrier, 'id' | 'name' | 'category' | 'countries' | 'regions' | 'status' | 'settings'> &
    Partial<Pick<Carrier, 'tier' | 'licensed'>>,
): Promise<Carrier> {
  const { rows } = await q.query(
    `INSERT INTO carriers (id, name, category, countries, regions, status, settings, tier, licensed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [
      c.id,
      c.name,
      c.category,
      c.countries,
      c.regions,
      c.status,
      JSON.stringify(c.settings),
      c.tier ?? 1,
      c.licensed ?? false,
    ],
  );
  return carrierFromRow(rows[0]);
}

export async function updateCarrier(
  q: Queryable,
  id: string,
  p: Partial<Pick<Carrier, 'name' | 'countries' | 'regions' | 'status' | 'settings' | 'tier' | 'licensed'>>,
): Promise<Carrier | undefined> {
  const { rows } = await q.query(
    `UPDATE carriers SET name = COALESCE($2, name), countries = COALESCE($3, countries), regions = COALESCE($4, regions),
       status = COALESCE($5, status), settings = COALESCE($6::jsonb, settings),
       tier = COALESCE($7, tier), licensed = COALESCE($8, licensed), updated_at = now()
     WHERE id = $1 RETURNING *`,
    [
      id,
      p.name ?? null,
      p.countries ?? null,
      p.regions ?? null,
      p.status ?? null,
      p.settings ? JSON.stringify(p.settings) : null,
      p.tier ?? null,
      p.licensed ?? null,
    ],
  );
  return rows[0] ? carrierFromRow(rows[0]) : undefined;
}

export async function deleteCarrier(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM carriers WHERE id = $1', [id])).rowCount > 0;
}

export async function findCarrier(q: Queryable, id: string): Promise<Carrier | undefined> {
  const { rows } = await q.query('SELECT * FROM carriers WHERE id = $1', [id]);
  return rows[0] ? carrierFromRow(rows[0]) : undefined;
}

export async function insertGateway(
  q: Queryable,
  g: Omit<Gateway, 'settings' | 'matchPort' | 'matchTransport'> &
    Partial<Pick<Gateway, 'settings' | 'matchPort' | 'matchTransport'>>,
): Promise<Gateway> {
  const { rows } = await q.query(
    `INSERT INTO carrier_gateways (id, carrier_id, direction, host, port, transport, priority, settings, match_port, match_transport)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
    [
      g.id,
      g.carrierId,
      g.direction,
      g.host,
      g.port,
      g.transport,
      g.priority,
      JSON.stringify(g.settings ?? {}),
      g.matchPort ?? false,
      g.matchTransport ?? false,
    ],
  );
  return gatewayFromRow(rows[0]);
}

export async function deleteGateway(q: Queryable, carrierId: string, id: string): Promise<boolean> {
  return (
    (await q.query('DELETE FROM carrier_gateways WHERE id = $1 AND carrier_id = $2', [id, carrierId]))
      .rowCount > 0
  );
}

export async function insertRoute(q: Queryable, r: Route): Promise<Route> {
  const { rows } = await q.query(
    `INSERT INTO routes (id, kind, prefix, carrier_id, priority, cost) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [r.id, r.kind, r.prefix, r.carrierId, r.priority, r.cost],
  );
  return routeFromRow(rows[0]);
}

export async function deleteRoute(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM routes WHERE id = $1', [id])).rowCount > 0;
}

export async function findRoute(q: Queryable, id: string): Promise<Route | undefined> {
  const { rows } = await q.query('SELECT * FROM routes WHERE id = $1', [id]);
  return rows[0] ? routeFromRow(rows[0]) : undefined;
}

export async function upsertVoiceCountry(q: Queryable, c: VoiceCountry): Promise<VoiceCountry> {
  const { rows } = await q.query(
    `INSERT INTO voice_countries (country, requires_licensed, pin) VALUES ($1, $2, $3)
     ON CONFLICT (country) DO UPDATE SET requires_licensed = $2, pin = $3, updated_at = now() RETURNING *`,
    [c.country, c.requiresLicensed, c.pin],
  );
  return countryFromRow(rows[0]);
}

export async function deleteVoiceCountry(q: Queryable, country: string): Promise<boolean> {
  return (await q.query('DELETE FROM voice_countries WHERE country = $1', [country])).rowCount > 0;
}

export interface PlanRows {
  carriers: Carrier[];
  gateways: Gateway[];
  routes: Route[];
  binds: SmppBind[];
  countries?: VoiceCountry[];
}

/** The whole plan in one consistent read. */
export async function readPlan(db: {
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}): Promise<PlanRows> {
  return db.tx(async (q) => {
    await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    // One connection runs one statement at a time: read in sequence inside the snapshot.
    const carriers = await q.query('SELECT * FROM carriers ORDER BY name');
    const gateways = await q.query('SELECT * FROM carrier_gateways ORDER BY carrier_id, priority, id');
    const routes = await q.query('SELECT * FROM routes ORDER BY kind, prefix, priority, cost, id');
    const binds = await q.query('SELECT * FROM smpp_binds ORDER BY name');
    const countries = await q.query('SELECT * FROM voice_countries ORDER BY country');
    return {
      countries: countries.rows.map(countryFromRow),
      carriers: carriers.rows.map(carrierFromRow),
      gateways: gateways.rows.map(gatewayFromRow),
      routes: routes.rows.map(routeFromRow),
      binds: binds.rows.map(bindFromRow),
    };
  });
}
