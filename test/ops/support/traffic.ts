// A daemon that has carried traffic, for the tests that compare what it exports with the metrics
// catalogue, the dashboards and the alert rules. Real PostgreSQL and Redis (what production runs),
// the side-API over its real HTTP listener, SIP through a real edge.
//
// Traffic is a list of steps; each feature adds one (a sipp call once voice lands, an SMPP message
// once messaging does). A step gets the running daemon and whatever earlier steps set up.
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { App } from '../../../src/app.js';
import { startEdge, type RunningEdge } from '../../../src/edge/index.js';
import { CDR, MDR } from '../../../src/records/index.js';
import { clusterConfig } from '../../support/cluster.js';
import { startTestApp } from '../../support/app.js';
import { startFreeSwitch, type FreeSwitchStandIn } from '../../support/freeswitch/freeswitch.js';
import { mediaConfig } from '../../support/recording.js';
import { waitFor } from '../../support/wait.js';
import type { RecordingHandle } from '../../../src/recording/recording.feature.js';
import { tempDir } from '../../support/config.js';
import { FileKeyProvider } from '../../../src/crypto/file.key-provider.js';
import { addCustomer, makeCdr, makeMdr } from '../../support/records.js';
import type { VoiceHandle } from '../../../src/voice/voice.feature.js';
import { callTraffic } from './voice-traffic.js';
import { messageTraffic, FAST_MESSAGING } from './message-traffic.js';

export interface TrafficContext {
  t: Test;
  app: App;
  /** An operator key (set by the api step). */
  operatorKey: string;
  /** The media server (FreeSWITCH stand-in) the recording feature anchors recorded calls on. */
  media?: FreeSwitchStandIn;
  /** The SBC the daemon drives: its own embedded edge, or one this module started on its registry. */
  edge?: { sipPort: number; appPort: number; secret?: string };
}

export interface TrafficStep {
  name: string;
  run(ctx: TrafficContext): Promise<void>;
}

async function http(
  ctx: TrafficContext,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
) {
  const res = await fetch(`${ctx.app.apiUrl}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Side-API: an operator creates a customer, lists the plan; a bad key is refused. */
export const apiTraffic: TrafficStep = {
  name: 'api',
  async run(ctx) {
    const { token } = await ctx.app.accounts.createOperatorKey({ kind: 'system', name: 'ops-test' }, 'ops');
    ctx.operatorKey = token;
    ctx.t.equal(await http(ctx, 'POST', '/v1/customers', token, { name: 'Ops Test', region: 'NOAM' }), 201);
    ctx.t.equal(await http(ctx, 'GET', '/v1/carriers', token), 200);
    ctx.t.equal(await http(ctx, 'GET', '/v1/carriers', 'rk_not_a_key'), 401);
  },
};

/** Records pipeline: a CDR and an MDR written through the writer reach the regional database. */
export const recordsTraffic: TrafficStep = {
  name: 'records',
  async run(ctx) {
    const customer = await addCustomer(ctx.app.stores, 'NOAM');
    await ctx.app.records.write(CDR, makeCdr(customer));
    await ctx.app.records.write(MDR, makeMdr(customer));
    await ctx.app.records.flush();
  },
};

/**
 * SIP edge: the daemon's own embedded edge once it runs one (its edge_* metrics are then on the
 * daemon's registry already); until then an edge started here on the daemon's registry, as the
 * daemon embeds it. One OPTIONS over UDP is answered by the edge.
 */
export const edgeTraffic: TrafficStep = {
  name: 'edge',
  async run(ctx) {
    if (!ctx.edge) {
      if (ctx.app.metrics.getSingleMetric('edge_apps'))
        throw new Error('the daemon exports edge_* metrics but no traffic step set ctx.edge');
      const secret = randomUUID();
      const edge: RunningEdge = await startEdge({
        sip: { host: '127.0.0.1', port: 0 },
        app: { host: '127.0.0.1', port: 0, secret },
        metrics: ctx.app.metrics,
      });
      ctx.t.teardown(() => edge.close());
      ctx.edge = { sipPort: edge.sipPort, appPort: edge.appPort, secret };
    }
    const { sipPort } = ctx.edge;
    const socket = dgram.createSocket('udp4');
    ctx.t.teardown(() => socket.close());
    const answered = new Promise<string>((resolve) => socket.once('message', (m) => resolve(m.toString())));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    const callId = randomUUID();
    const options = [
      `OPTIONS sip:ping@127.0.0.1:${sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${callId.slice(0, 8)}`,
      'Max-Forwards: 70',
      `From: <sip:ops@127.0.0.1:${port}>;tag=${callId.slice(9, 13)}`,
      `To: <sip:ping@127.0.0.1:${sipPort}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.send(options, sipPort, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    const response = await Promise.race([
      answered,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer to OPTIONS from the edge within 10 s')), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    ctx.t.match(response, /^SIP\/2\.0 \d{3} /, 'the edge answered OPTIONS');
    // A request without Call-ID: the edge rejects it as malformed (edge_sip_rejected_total).
    socket.send(options.replace(/^Call-ID: .*\r\n/m, ''), sipPort, '127.0.0.1');
    const rejected = async () =>
      /^edge_sip_rejected_total\{/m.test(
        await ctx.app.metrics.getSingleMetricAsString('edge_sip_rejected_total'),
      );
    for (let i = 0; i < 100 && !(await rejected()); i++) await new Promise((r) => setTimeout(r, 50));
    ctx.t.ok(await rejected(), 'the edge counted the malformed request');
  },
};

/** Retention: a sweep has completed (retention_oldest_overdue_seconds is measured by a sweep). */
export const retentionTraffic: TrafficStep = {
  name: 'retention',
  async run(ctx) {
    const swept = async () =>
      /^retention_oldest_overdue_seconds\{/m.test(
        await ctx.app.metrics.getSingleMetricAsString('retention_oldest_overdue_seconds'),
      );
    for (let i = 0; i < 300 && !(await swept()); i++) await new Promise((r) => setTimeout(r, 100));
    ctx.t.ok(await swept(), 'a retention sweep completed');
  },
};

/**
 * The traffic every test of test/ops/ drives, in order. Messaging's step (outbound with receipt and
 * status callback, inbound to a webhook, a refused inbound) is in message-traffic.ts, voice's in
 * voice-traffic.ts.
 */
export const TRAFFIC: TrafficStep[] = [
  apiTraffic,
  recordsTraffic,
  retentionTraffic,
  edgeTraffic,
  callTraffic,
  messageTraffic,
];

/** A daemon on real PostgreSQL and Redis that has carried every step of `steps`. */
export async function loadedDaemon(t: Test, steps: TrafficStep[] = TRAFFIC): Promise<TrafficContext> {
  const shared = await clusterConfig(t, ['NOAM', 'EURO']);
  // Region keys as production has them (a KMS or a mounted secret): made here, never on demand.
  const keyDir = tempDir(t, 'keys');
  const keys = new FileKeyProvider(keyDir, false);
  for (const ring of ['control', 'NOAM', 'EURO']) await keys.rotate(ring);
  // A media server for recorded calls: the FreeSWITCH stand-in, reached through the embedded edge.
  const media = await startFreeSwitch({ heartbeatMs: 500 });
  t.teardown(() => media.close());
  const app = await startTestApp(t, {
    media: { ...mediaConfig(media, { appPort: 0, secret: '' }), drachtio: {} },
    ...shared,
    crypto: { ...shared.crypto, keyDir },
    ...FAST_MESSAGING,
    instance: { id: 'ops-1' },
    // The daemon's own embedded edge, as `make run` starts it: voice drives it over the app protocol.
    edge: { enabled: true, sipPort: 0, appPort: 0 },
    records: { flushIntervalMs: 5 },
    retention: { sweepIntervalMs: 1000 },
  } as never);
  const ctx: TrafficContext = { t, app, operatorKey: '', media };
  const recording = app.features.recording as RecordingHandle | undefined;
  if (recording?.pool)
    await waitFor(() => recording.pool?.slots[0]?.state === 'up', { message: 'media server connected' });
  const voice = app.features.voice as VoiceHandle | undefined;
  if (voice?.edge) {
    await voice.pool.waitConnected(15_000);
    ctx.edge = { sipPort: voice.edge.sipPort, appPort: voice.edge.appPort };
  }
  // Steps run on the owning test: what they start (an edge, a sipp) lives as long as the daemon.
  for (const step of steps) {
    try {
      await step.run(ctx);
    } catch (err) {
      throw new Error(`traffic step ${step.name} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return ctx;
}

/** GET /metrics over HTTP, as Prometheus does. */
export async function scrape(app: App): Promise<string> {
  const res = await fetch(`${app.apiUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}
