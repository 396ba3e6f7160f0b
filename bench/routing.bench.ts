// Routing-decision time and memory with 1,000,000 numbers and 100,000 route prefixes loaded.
//
//   numbers:   1,000,000 DIDs in the NumberCache the daemon uses, entries shaped as the database
//              load produces them (fresh strings and settings objects per row); heap and RSS measured
//   routes:    100,000 voice prefixes over 60 carriers and 180 gateways; RouteTable build time and heap
//   decisions: the full decision as the call handler makes it (RoutingDecider path): normalise with
//              libphonenumber-js, then DID lookup (inbound) or risk list + carrier selection with a
//              gateway-health predicate (outbound); p50/p99/max per decision
//   baselines: measured in the same run on the same numbers: carrier selection by a naive linear scan
//              over all routes, and by a Map probed once per prefix length; normalisation with the
//              "min" libphonenumber-js metadata against the "max" one the daemon uses
//
// Targets (issue 5): routing decision p99 < 1 ms; memory for 1,000,000 numbers < 1 GiB.
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parsePhoneNumberFromString as parseMin } from 'libphonenumber-js/min';
import { parsePhoneNumberFromString as parseMax } from 'libphonenumber-js/max';
import { NumberCache } from '../src/cache/number-cache.js';
import type { NumberEntry } from '../src/accounts/number-settings.js';
import type { Carrier, Gateway, Route, VoiceCountry } from '../src/plan/plan.repo.js';
import { RouteTable } from '../src/routing/route-table.js';
import { RiskList } from '../src/routing/risk.js';
import { decideInbound, decideOutbound } from '../src/routing/decide.js';
import { E164_CONVENTION, type NumberingConvention } from '../src/routing/normalize.js';
import { writeSection, table, percentile } from './support/results.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const settle = () => {
  for (let i = 0; i < 3; i++) gc();
};
const mib = (b: number) => (b / 2 ** 20).toFixed(0);

const NUMBERS = Number(process.env.BENCH_NUMBERS ?? 1_000_000);
const PREFIXES = Number(process.env.BENCH_PREFIXES ?? 100_000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 200_000);
const BASELINE_DECISIONS = Number(process.env.BENCH_BASELINE_DECISIONS ?? 2000);

// mulberry32: a small deterministic PRNG with a full 2^32 period (integer arithmetic only).
let seed = 12345;
const rnd = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) % n;
};
const digits = (len: number) => {
  let s = '';
  for (let i = 0; i < len; i++) s += String(rnd(10));
  return s;
};

// --- numbers -----------------------------------------------------------------------------------
// National significant numbers that libphonenumber accepts as possible, per country.
const DID_RANGES: [string, string, () => string][] = [
  ['US', '+1', () => `${['202', '212', '303', '415', '617', '718'][rnd(6)]}${2 + rnd(8)}${digits(6)}`],
  ['CA', '+1', () => `${['416', '514', '604'][rnd(3)]}${2 + rnd(8)}${digits(6)}`],
  ['GB', '+44', () => `20${digits(8)}`],
  ['DE', '+49', () => `30${digits(8)}`],
  ['FR', '+33', () => `1${digits(8)}`],
  ['AU', '+61', () => `2${digits(8)}`],
];
const REGION_OF: Record<string, NumberEntry['region']> = {
  US: 'NOAM',
  CA: 'NOAM',
  GB: 'EURO',
  DE: 'EURO',
  FR: 'EURO',
  AU: 'ANZAC',
};
const customers = Array.from(
  { length: 10_000 },
  (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
);

function numberRow(e164: string, country: string): NumberEntry {
  // As the database load builds it: jsonb columns parsed per row, text columns fresh per row.
  const voice = JSON.stringify({
    destinations: [
      { type: 'sip', uri: `sip:${e164.slice(1)}@pbx${rnd(1000)}.customer.example.com`, timeoutSec: 30 },
    ],
    strategy: 'sequential',
  });
  return {
    e164: Buffer.from(e164).toString(),
    customerId: Buffer.from(customers[rnd(customers.length)] as string).toString(),
    region: REGION_OF[country] as NumberEntry['region'],
    country: Buffer.from(country).toString(),
    status: rnd(100) < 98 ? 'active' : 'suspended',
    voice: JSON.parse(voice),
    messaging: JSON.parse('{"keepContent":false}'),
    recording: JSON.parse('{"enabled":false,"channels":2}'),
    retention: JSON.parse('{"policy":"30d"}'),
    version: 1,
  };
}

// --- plan ----------------------------------------------------------------------------------------
const COUNTRY_CODES = [
  '1',
  '44',
  '49',
  '33',
  '61',
  '34',
  '39',
  '31',
  '46',
  '47',
  '48',
  '52',
  '55',
  '81',
  '82',
  '86',
  '91',
  '27',
  '234',
  '254',
  '971',
  '966',
  '20',
  '90',
  '7',
  '62',
  '63',
  '64',
  '65',
  '66',
];

function buildPlan() {
  const carriers: Carrier[] = [];
  const gateways: Gateway[] = [];
  for (let i = 0; i < 60; i++) {
    const id = `carrier-${i}`;
    carriers.push({
      id,
      name: `Carrier ${i}`,
      category: i < 40 ? 'tier1_voice' : 'regional_voice',
      countries: i < 40 ? [] : ['GB', 'DE', 'FR', 'US'].slice(i % 4, (i % 4) + 1),
      regions: ['NOAM'],
      status: 'active',
      tier: i % 3 === 0 ? 2 : 1,
      licensed: i >= 40,
      settings: {},
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    for (let g = 0; g < 3; g++)
      gateways.push({
        id: `gw-${i}-${g}`,
        carrierId: id,
        direction: 'both',
        host: `192.0.2.${i}`,
        port: 5060 + g,
        transport: 'udp',
        priority: g * 10,
        matchPort: false,
        matchTransport: false,
        settings: {},
      });
  }
  const routes: Route[] = [];
  const seen = new Set<string>();
  while (seen.size < PREFIXES) {
    const cc = COUNTRY_CODES[rnd(COUNTRY_CODES.length)] as string;
    const p = cc + digits(1 + rnd(6));
    if (seen.has(p)) continue;
    seen.add(p);
    // 1-4 carriers per prefix
    const n = 1 + rnd(4);
    for (let k = 0; k < n; k++)
      routes.push({
        id: `r${routes.length}`,
        kind: 'voice',
        prefix: p,
        carrierId: `carrier-${rnd(60)}`,
        priority: rnd(5) * 10,
        cost: rnd(1000) / 10_000,
      });
  }
  for (const cc of COUNTRY_CODES)
    routes.push({
      id: `r${routes.length}`,
      kind: 'voice',
      prefix: cc,
      carrierId: 'carrier-0',
      priority: 100,
      cost: 0.05,
    });
  // As readPlan returns them: ORDER BY prefix, priority, cost.
  routes.sort((a, b) =>
    a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : a.priority - b.priority || a.cost - b.cost,
  );
  const countries: VoiceCountry[] = [
    { country: 'GB', requiresLicensed: true, pin: 'country' },
    { country: 'DE', requiresLicensed: true, pin: 'none' },
  ];
  return {
    carriers: new Map(carriers.map((c) => [c.id, c])),
    gateways,
    routes,
    countries: new Map(countries.map((c) => [c.country, c])),
  };
}

// Baselines for carrier selection only (the part the route table replaces).
function linearSelect(routes: readonly Route[], digitsKey: string): Route[] {
  let best = -1;
  let out: Route[] = [];
  for (const r of routes) {
    if (!digitsKey.startsWith(r.prefix)) continue;
    if (r.prefix.length > best) {
      best = r.prefix.length;
      out = [r];
    } else if (r.prefix.length === best) out.push(r);
  }
  return out;
}

function mapPerLength(routes: readonly Route[]) {
  const m = new Map<string, Route[]>();
  for (const r of routes) m.set(r.prefix, [...(m.get(r.prefix) ?? []), r]);
  return (key: string) => {
    for (let len = Math.min(15, key.length); len >= 0; len--) {
      const hit = m.get(key.slice(0, len));
      if (hit) return hit;
    }
    return undefined;
  };
}

function stats(samplesNs: number[]) {
  const us = samplesNs.map((n) => n / 1000).sort((a, b) => a - b);
  return { p50: percentile(us, 50), p99: percentile(us, 99), max: us[us.length - 1] ?? NaN };
}
const f = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

async function main() {
  const log = pino({ level: 'silent' });

  // 0. the route table on a small heap (as at daemon start, before the numbers are loaded)
  const plan = buildPlan();
  // Wall time and CPU time: on a shared machine the difference is time spent waiting for a core.
  const freshBuild: number[] = [];
  const freshCpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    new RouteTable(plan);
    const used = process.cpuUsage(cpu);
    freshBuild.push(performance.now() - t);
    freshCpu.push((used.user + used.system) / 1000);
  }
  settle();
  const heap0 = process.memoryUsage();

  // 1. numbers in the real NumberCache
  const bus = { on: () => undefined } as unknown as ConstructorParameters<typeof NumberCache>[1];
  const cache = new NumberCache({} as ConstructorParameters<typeof NumberCache>[0], bus, log, new Registry());
  const dids: string[] = [];
  let t0 = performance.now();
  while (cache.size < NUMBERS) {
    const [country, cc, nsn] = DID_RANGES[rnd(DID_RANGES.length)] as (typeof DID_RANGES)[number];
    const e164 = cc + nsn();
    if (cache.get(e164)) continue;
    cache.set(numberRow(e164, country));
    if (dids.length < 100_000) dids.push(e164);
  }
  const loadNumbersMs = performance.now() - t0;
  settle();
  const heap1 = process.memoryUsage();
  const numbersHeap = heap1.heapUsed - heap0.heapUsed;

  // 2. routes (again, now next to a million numbers: a plan reload in a running daemon)
  settle();
  const heap2 = process.memoryUsage();
  t0 = performance.now();
  const routes = new RouteTable(plan);
  const buildMs = performance.now() - t0;
  settle();
  const tableHeap = process.memoryUsage().heapUsed - heap2.heapUsed;
  const risk = new RiskList([
    { prefix: '1900', reason: 'premium_rate', action: 'block' },
    { prefix: '44870', reason: 'premium_rate', action: 'block' },
    { prefix: '882', reason: 'high_risk', action: 'block' },
    { prefix: '234', reason: 'high_risk', action: 'expensive' },
  ]);
  const down = new Set(plan.gateways.filter((_, i) => i % 7 === 0).map((g) => g.id));
  const isUp = (g: Gateway) => !down.has(g.id);

  // Inputs: inbound calls to our DIDs as carriers write them (three conventions), outbound calls to
  // random destinations across the routed countries.
  const conventions: NumberingConvention[] = [
    E164_CONVENTION,
    { numberFormat: 'e164_no_plus', techPrefix: '', calledNumberIn: 'request-uri' },
    { numberFormat: 'e164_no_plus', techPrefix: '99#', calledNumberIn: 'to' },
  ];
  const inbound = Array.from({ length: DECISIONS / 2 }, () => {
    const e164 = dids[rnd(dids.length)] as string;
    const conv = conventions[rnd(3)] as NumberingConvention;
    return { called: conv.numberFormat === 'e164' ? e164 : conv.techPrefix + e164.slice(1), conv };
  });
  const outbound = Array.from({ length: DECISIONS / 2 }, () => {
    const [, cc, nsn] = DID_RANGES[rnd(DID_RANGES.length)] as (typeof DID_RANGES)[number];
    return cc + nsn();
  });

  // Warm up (JIT), then measure.
  for (let i = 0; i < 20_000; i++) {
    const a = inbound[i % inbound.length] as (typeof inbound)[number];
    decideInbound({ called: a.called, convention: a.conv, lookup: (e) => cache.get(e) });
    decideOutbound({
      dialled: outbound[i % outbound.length],
      convention: E164_CONVENTION,
      routes,
      risk,
      select: { isUp },
    });
  }
  const samples: number[] = [];
  const inSamples: number[] = [];
  const outSamples: number[] = [];
  let found = 0;
  let routed = 0;
  for (let i = 0; i < DECISIONS / 2; i++) {
    const a = inbound[i] as (typeof inbound)[number];
    let s = process.hrtime.bigint();
    const d = decideInbound({ called: a.called, convention: a.conv, lookup: (e) => cache.get(e) });
    let ns = Number(process.hrtime.bigint() - s);
    samples.push(ns);
    inSamples.push(ns);
    if (d.ok || d.reason === 'number_suspended') found++;
    s = process.hrtime.bigint();
    const o = decideOutbound({
      dialled: outbound[i],
      convention: E164_CONVENTION,
      routes,
      risk,
      select: { isUp },
    });
    ns = Number(process.hrtime.bigint() - s);
    samples.push(ns);
    outSamples.push(ns);
    if (o.ok) routed++;
  }
  const all = stats(samples);
  const inb = stats(inSamples);
  const outb = stats(outSamples);

  // Baselines on the same outbound destinations (selection only) and normalisation metadata.
  const routeList = plan.routes;
  const keys = outbound.slice(0, BASELINE_DECISIONS).map((e) => e.slice(1));
  const timeEach = (fn: (k: string) => unknown, list: string[]) => {
    for (const k of list.slice(0, 200)) fn(k);
    return stats(
      list.map((k) => {
        const s = process.hrtime.bigint();
        fn(k);
        return Number(process.hrtime.bigint() - s);
      }),
    );
  };
  const tableSel = timeEach(
    (k) => routes.select(k, { isUp }),
    outbound.slice(0, 50_000).map((e) => e.slice(1)),
  );
  const linear = timeEach((k) => linearSelect(routeList, k), keys);
  const mapLookup = mapPerLength(routeList);
  const perLength = timeEach(
    (k) => mapLookup(k),
    outbound.slice(0, 50_000).map((e) => e.slice(1)),
  );
  const numbersForParse = outbound.slice(0, 50_000);
  const parseMaxStats = timeEach((e) => parseMax(e)?.isPossible(), numbersForParse);
  const parseMinStats = timeEach((e) => parseMin(e)?.isPossible(), numbersForParse);
  const minCountries = numbersForParse
    .slice(0, 5000)
    .filter((e) => parseMin(e)?.country === parseMax(e)?.country).length;

  settle();
  const end = process.memoryUsage();
  const target = all.p99 < 1000 && numbersHeap < 2 ** 30;

  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  const lines = [
    `Routing decision with ${cache.size.toLocaleString('en')} numbers and ${routes.prefixes.toLocaleString('en')} route prefixes (${plan.routes.length.toLocaleString('en')} route entries, 60 carriers, 180 gateways, 1 in 7 gateways down):`,
    '',
    table([
      ['decision', 'samples', 'p50 µs', 'p99 µs', 'max µs'],
      ['all (inbound + outbound)', samples.length, f(all.p50), f(all.p99), f(all.max)],
      ['inbound: normalise + DID lookup', inSamples.length, f(inb.p50), f(inb.p99), f(inb.max)],
      [
        'outbound: normalise + risk + carrier selection',
        outSamples.length,
        f(outb.p50),
        f(outb.p99),
        f(outb.max),
      ],
    ]),
    '',
    'Carrier selection alone (baselines measured in this run, same destinations):',
    '',
    table([
      ['selection', 'samples', 'p50 µs', 'p99 µs', 'max µs'],
      [
        'RouteTable (sorted prefixes + parent links, health predicate)',
        50_000,
        f(tableSel.p50),
        f(tableSel.p99),
        f(tableSel.max),
      ],
      [
        'baseline: Map probed per prefix length',
        50_000,
        f(perLength.p50),
        f(perLength.p99),
        f(perLength.max),
      ],
      ['baseline: linear scan over every route', keys.length, f(linear.p50), f(linear.p99), f(linear.max)],
    ]),
    '',
    'Normalisation metadata (parse + isPossible of the outbound destinations):',
    '',
    table([
      ['libphonenumber-js', 'p50 µs', 'p99 µs', 'country agrees with max'],
      ['max (used)', f(parseMaxStats.p50), f(parseMaxStats.p99), '-'],
      ['min', f(parseMinStats.p50), f(parseMinStats.p99), `${((100 * minCountries) / 5000).toFixed(1)} %`],
    ]),
    '',
    table([
      ['memory and build', 'value'],
      [
        '1,000,000 numbers in NumberCache: heap',
        `${mib(numbersHeap)} MiB (${(numbersHeap / cache.size).toFixed(0)} B/number)`,
      ],
      ['RSS after loading numbers', `${mib(heap1.rss)} MiB (process, before the plan)`],
      ['RSS at the end', `${mib(end.rss)} MiB`],
      [
        `load ${cache.size.toLocaleString('en')} numbers (build rows + insert)`,
        `${(loadNumbersMs / 1000).toFixed(1)} s`,
      ],
      [
        `RouteTable build (${routes.prefixes.toLocaleString('en')} prefixes), small heap, best of 3`,
        `${Math.min(...freshBuild).toFixed(0)} ms wall (runs: ${freshBuild.map((m) => m.toFixed(0)).join(', ')} ms; CPU ${freshCpu.map((m) => m.toFixed(0)).join(', ')} ms, GC threads included)`,
      ],
      [`RouteTable build next to the numbers (plan reload)`, `${buildMs.toFixed(0)} ms`],
      ['RouteTable heap', `${mib(tableHeap)} MiB (plan objects excluded)`],
      ['DIDs found / outbound routed', `${found}/${inSamples.length}, ${routed}/${outSamples.length}`],
    ]),
    '',
    `Load average (1/5/15 min) at the end of the run: ${load} on ${os.cpus().length} cores (other work shares this machine; tail latencies include its scheduling and this process's GC).`,
    '',
    `Targets: routing decision p99 < 1 ms (${f(all.p99)} µs), memory for ${cache.size.toLocaleString('en')} numbers < 1 GiB (${mib(numbersHeap)} MiB heap): ${target ? 'met' : 'NOT met'}.`,
  ];
  const body = lines.join('\n');
  console.log(body);
  writeSection('routing', 'make bench BENCH=routing', body);
}

await main();
