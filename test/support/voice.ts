// A daemon with the embedded edge for voice tests: real PostgreSQL per region (NOAM and EURO by
// default), Redis, the edge on a free SIP port. Helpers seed customers, carriers (whose gateway is
// a sipp on a known port) and numbers, and read CDRs and traces straight from PostgreSQL.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { defaultFeatures, type App } from '../../src/app.js';
import type { Feature } from '../../src/feature.js';
import type { Region } from '../../src/config/index.js';
import type { NumberEntry } from '../../src/accounts/number-settings.js';
import type { VoiceCarrierSettings } from '../../src/plan/carrier-settings.js';
import type { VoiceHandle } from '../../src/voice/voice.feature.js';
import { clusterConfig } from './cluster.js';
import { tempDir } from './config.js';
import { FileKeyProvider } from '../../src/crypto/index.js';
import { startTestApp } from './app.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export const SYSTEM = { kind: 'system' as const, name: 'voice-test' };

export interface VoiceApp {
  app: App;
  voice: VoiceHandle;
  sipPort: number;
}

export async function startVoiceApp(
  t: Test,
  opts: {
    regions?: Region[];
    overrides?: Record<string, unknown>;
    instanceRegion?: Region;
    /** Extra features started after the default ones (e.g. a test media anchor). */
    extraFeatures?: Feature[];
  } = {},
): Promise<VoiceApp> {
  const regions = opts.regions ?? ['NOAM', 'EURO'];
  const shared = await clusterConfig(t, regions);
  // Region keys (trunk digest credentials are sealed with them): databases configured means no
  // embedded key generation, as in production.
  const keyDir = tempDir(t, 'keys');
  const provider = new FileKeyProvider(keyDir, false);
  for (const ring of regions) await provider.rotate(ring);
  shared.crypto = { ...shared.crypto, keyDir } as typeof shared.crypto;
  const app = await startTestApp(
    t,
    {
      ...shared,
      instance: { id: 'voice-test', region: opts.instanceRegion ?? 'NOAM' },
      edge: { enabled: true, sipPort: 0, appPort: 0 },
      records: { flushIntervalMs: 5 },
      // No OPTIONS pings unless a test asks: sipp peers would take them for unexpected messages.
      voice: { gatewayHealth: { pingIntervalMs: 0 } },
      ...(opts.overrides ?? {}),
    } as never,
    opts.extraFeatures ? { features: [...defaultFeatures({} as never), ...opts.extraFeatures] } : {},
  );
  const voice = app.features.voice as VoiceHandle;
  await voice.pool.waitConnected(15_000);
  return { app, voice, sipPort: voice.edge?.sipPort as number };
}

export async function addCustomer(app: App, region: Region, name = `Customer ${region}`) {
  const c = await app.accounts.createCustomer(SYSTEM, { name, region });
  const key = await app.accounts.createCustomerKey(SYSTEM, c.id, 'test');
  return { id: c.id, key: key.token };
}

/**
 * A carrier whose gateway is 127.0.0.1:<port> matched on port (so other sipps on 127.0.0.1 are not
 * this carrier). Direction both: calls from that port are inbound from it, calls to it go out.
 */
export async function addCarrier(
  app: App,
  name: string,
  opts: {
    port?: number;
    voice?: Partial<VoiceCarrierSettings>;
    routes?: { prefix: string; priority?: number; cost?: number }[];
    direction?: 'inbound' | 'outbound' | 'both';
    countries?: string[];
  } = {},
) {
  const port = opts.port ?? (await freePort());
  const carrier = await app.planService.createCarrier(SYSTEM, {
    name,
    category: 'tier1_voice',
    countries: opts.countries ?? ['US'],
    regions: ['NOAM'],
    status: 'active',
    // A generous provisional bound unless the test sets one: the machine is shared and slow.
    settings: { voice: { provisionalTimeoutMs: 10_000, ...(opts.voice ?? {}) } as VoiceCarrierSettings },
  });
  const gateway = await app.planService.createGateway(SYSTEM, {
    carrierId: carrier.id,
    direction: opts.direction ?? 'both',
    host: '127.0.0.1',
    port,
    transport: 'udp',
    priority: 100,
    matchPort: true,
    settings: {},
  });
  for (const r of opts.routes ?? [])
    await app.planService.createRoute(SYSTEM, {
      kind: 'voice',
      prefix: r.prefix,
      carrierId: carrier.id,
      priority: r.priority ?? 100,
      cost: r.cost ?? 0.01,
    });
  const routes = (opts.routes ?? []).length;
  await waitFor(
    () =>
      app.plan.snapshot.gateways.some((g) => g.id === gateway.id) &&
      app.plan.snapshot.routes.filter((r) => r.carrierId === carrier.id).length === routes,
    {
      message: 'plan reload with the new gateway and routes',
      timeoutMs: 45_000,
    },
  );
  return { carrier, gateway, port };
}

export async function addNumber(
  app: App,
  customerId: string,
  e164: string,
  voice: NumberEntry['voice'],
  extra: Partial<Pick<NumberEntry, 'status' | 'recording'>> = {},
) {
  await app.accounts.createNumber(SYSTEM, customerId, {
    e164,
    status: extra.status ?? 'active',
    voice,
    messaging: { keepContent: false },
    recording: extra.recording ?? { enabled: false, channels: 2 },
    retention: { policy: '30d' },
  });
  await waitFor(() => app.numbers.get(e164), { message: `number ${e164} in the cache` });
}

export type Row = Record<string, any>;

/** CDRs of a number (called or calling) in one region's database. */
export async function cdrsOf(app: App, region: Region, number: string): Promise<Row[]> {
  const { rows } = await app.stores.router
    .region(region)
    .query('SELECT * FROM cdrs WHERE called = $1 OR calling = $1 ORDER BY started_at', [number]);
  return rows as Row[];
}

export async function waitCdr(app: App, region: Region, number: string, count = 1): Promise<Row[]> {
  return waitFor(
    async () => {
      const rows = await cdrsOf(app, region, number);
      return rows.length >= count ? rows : undefined;
    },
    { timeoutMs: 30_000, message: `${count} CDR(s) for ${number} in ${region}` },
  );
}

/** A scenario of test/voice/sipp/ with {{name}} placeholders filled (sipp reads attributes literally). */
export function voiceScenario(
  t: Test,
  name: string,
  vars: Record<string, string | number> = {},
): { file: string } {
  vars = { talk_ms: 300, ...vars };
  let xml = readFileSync(path.join('test/voice/sipp', name), 'latin1');
  for (const [k, v] of Object.entries(vars)) xml = xml.replaceAll(`{{${k}}}`, String(v));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voice-sipp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  writeFileSync(file, xml, 'latin1');
  return { file };
}

/** Keys every UAC scenario of test/voice/sipp/ uses, with defaults. */
export function uacKeys(over: Record<string, string> = {}): Record<string, string> {
  return { caller: '+14155550123', ua: 'test-pbx/1.0', codec: '0', codec_name: 'PCMU', ...over };
}

/** A SIP trunk for a customer; returns its digest credentials when asked for. */
export async function addTrunk(
  app: App,
  customerId: string,
  input: Parameters<App['accounts']['trunks']['create']>[2],
) {
  const created = await app.accounts.trunks.create(SYSTEM, customerId, input);
  const voice = app.features.voice as VoiceHandle;
  await waitFor(() => voice.policy.trunks.get(created.trunk.id), {
    timeoutMs: 45_000,
    message: 'trunk in the directory',
  });
  return created;
}

/** Every header line of a sipp message (name lower-cased, value). */
export function headerLines(text: string): [string, string][] {
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  return head
    .split(/\r?\n/)
    .slice(1)
    .map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
    });
}

/**
 * A sipp UAS bound and settled. sipp can be seen bound in /proc/net before it answers: a request in
 * that window meets a closed port (ICMP refused, the edge reports 503 as drachtio would), so the
 * first request waits until the port has been bound for a moment.
 */
export async function settled(sipp: { ready(): Promise<void> }): Promise<void> {
  await sipp.ready();
  await new Promise((r) => setTimeout(r, 300));
}
