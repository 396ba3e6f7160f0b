// Messaging throughput and latency on this machine, everything over real sockets in one process
// (the SMSC, the daemon and the webhook receiver share the CPU, so the figures are a lower bound).
//
//   outbound: N submit_sm through ONE bind (our Bind: window, rate limiter, response timeouts) to the
//             local test SMSC, window 10 and 50; submits/s and submit→resp p50/p99.
//             Baseline, same run: a raw `smpp` session keeping the same window, no bind manager.
//   inbound:  deliver_sm at a steady rate through the whole daemon (decode, number lookup, MDR and
//             outbox in one PostgreSQL transaction, deliver_sm_resp, webhook POST signed) to a local
//             HTTP receiver; delivered/s and deliver_sm→webhook-request p50/p99.
//             Baseline, same run: a raw session that POSTs each deliver_sm to the receiver directly.
//
// BENCH_TRACE=1 also prints where inbound time goes (InboundService.record, webhook POST).
//
// Targets (issue 6): >= 2,000 submit_sm/s through one bind with window 50; 1,000 inbound messages/s
// delivered to webhooks with p99 < 200 ms from deliver_sm to the webhook request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import * as smpp from 'smpp';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, Secret, type Config } from '../src/config/index.js';
import { startApp } from '../src/app.js';
import { Bind, type BindOptions } from '../src/messaging/smpp/bind.js';
import { encodeMessage } from '../src/messaging/encoding.js';
import { encodeGsm } from '../src/messaging/gsm.js';
import { WebhookClient } from '../src/messaging/http-post.js';
import { InboundService } from '../src/messaging/inbound.js';
import { startSmsc, type TestSmsc } from '../test/support/smsc.js';
import { setupMessaging } from '../test/support/messaging.js';
import { writeSection, table, percentile } from './support/results.js';

const log = pino({ level: 'silent' });
const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const N = Number(process.env.BENCH_SUBMITS ?? 20_000);
const IN_RATE = Number(process.env.BENCH_INBOUND_RATE ?? 1000);
const IN_SECONDS = Number(process.env.BENCH_INBOUND_SECONDS ?? 10);

const submitParams = (i: number) => {
  const p = encodeMessage(`bench message ${i}`, 1).parts[0]!;
  return {
    source_addr: '12025550100',
    destination_addr: '447911123456',
    data_coding: p.dataCoding,
    esm_class: p.esmClass,
    registered_delivery: 1,
    short_message: p.bytes,
  };
};

function bindOptions(smsc: TestSmsc, windowSize: number): BindOptions {
  return {
    id: `bench-${windowSize}`,
    name: `bench-${windowSize}`,
    carrierId: 'bench',
    host: '127.0.0.1',
    port: smsc.port,
    tls: false,
    systemId: 'bench',
    password: 'bench',
    bindType: 'transceiver',
    windowSize,
    maxMps: 1_000_000,
    responseTimeoutMs: 10_000,
    enquireLinkMs: 30_000,
    connectTimeoutMs: 5000,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    throttlePauseMs: 100,
    deadAfterTimeouts: 3,
  };
}

interface Figures {
  perSec: number;
  p50: number;
  p99: number;
}

async function ours(smsc: TestSmsc, windowSize: number): Promise<Figures> {
  const bind = new Bind(bindOptions(smsc, windowSize), log);
  bind.start();
  while (bind.state !== 'bound') await new Promise((r) => setTimeout(r, 10));
  const lat: number[] = [];
  const started = performance.now();
  // Keep the queue fed without building N promises at once.
  let next = 0;
  const worker = async () => {
    while (next < N) {
      next++;
      const t0 = performance.now();
      await bind.submit(submitParams(next));
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: windowSize * 2 }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await bind.stop();
  lat.sort((a, b) => a - b);
  return { perSec: N / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function raw(smsc: TestSmsc, windowSize: number): Promise<Figures> {
  const session = smpp.connect({ host: '127.0.0.1', port: smsc.port });
  await new Promise<void>((resolve) => session.on('connect', () => resolve()));
  await new Promise<void>((resolve) =>
    session.send(new smpp.PDU('bind_transceiver', { system_id: 'bench', password: 'bench' }), () =>
      resolve(),
    ),
  );
  const lat: number[] = [];
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    let done = 0;
    const one = () => {
      if (sent >= N) return;
      sent++;
      const t0 = performance.now();
      session.send(new smpp.PDU('submit_sm', submitParams(sent)), () => {
        lat.push(performance.now() - t0);
        if (++done === N) resolve();
        else one();
      });
    };
    for (let i = 0; i < windowSize; i++) one();
  });
  const elapsed = (performance.now() - started) / 1000;
  session.destroy();
  lat.sort((a, b) => a - b);
  return { perSec: N / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

function receiver(onJson: (text: string, at: number) => void) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      try {
        onJson(String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: string }).text), at);
      } catch {
        /* counted as missing */
      }
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

interface InboundFigures {
  sent: number;
  delivered: number;
  perSec: number;
  p50: number;
  p99: number;
  max: number;
}

/** Paces deliver_sm at IN_RATE for IN_SECONDS on the SMSC's first bound session. */
async function paceInbound(smsc: TestSmsc, sentAt: Map<string, number>): Promise<number> {
  const total = IN_RATE * IN_SECONDS;
  const started = performance.now();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * IN_RATE) + 1);
    for (; i < due; i++) {
      const text = `in ${i}`;
      sentAt.set(text, performance.now());
      void smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        short_message: encodeGsm(text),
      });
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return total;
}

async function inboundFigures(
  sentAt: Map<string, number>,
  got: Map<string, number>,
  sent: number,
  wait: () => boolean,
) {
  const deadline = performance.now() + 60_000;
  while (!wait() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  // Only the measured messages (a late warm-up message is not one of them).
  for (const k of got.keys()) if (!sentAt.has(k)) got.delete(k);
  const lat = [...got.entries()].map(([k, at]) => at - (sentAt.get(k) as number)).sort((a, b) => a - b);
  const first = Math.min(...sentAt.values());
  const last = Math.max(...got.values());
  return {
    sent,
    delivered: got.size,
    perSec: got.size / ((last - first) / 1000),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat.at(-1) ?? NaN,
  } satisfies InboundFigures;
}

async function inboundOurs(): Promise<InboundFigures> {
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  await admin.connect();
  const names = ['control', 'noam'].map((n) => `rc_bench_msg_${n}_${randomBytes(3).toString('hex')}`);
  for (const n of names) await admin.query(`CREATE DATABASE ${n}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-msg-'));
  const db = (name: string) => ({
    url: new Secret(`${PG}/${name}`, 'bench'),
    poolSize: 16,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 60_000,
  });
  const config = Value.Default(ConfigSchema, {
    instance: { id: 'bench' },
    log: { level: 'silent' },
    api: { port: 0, rateLimit: { max: 1_000_000 } },
    embedded: { dataDir, seedDemo: false },
    databases: { control: db(names[0]!), regions: { NOAM: db(names[1]!) } },
    crypto: { urlSigningKey: new Secret(randomBytes(32).toString('base64'), 'bench') },
    retention: { enabled: false },
  }) as Config;
  const smsc = await startSmsc();
  const app = await startApp(config, { log, print: () => {} });
  await app.envelope.provider.rotate('NOAM');
  await app.envelope.provider.rotate('control');
  const sentAt = new Map<string, number>();
  const got = new Map<string, number>();
  const rx = await receiver((text, at) => got.set(text, at));
  const trace: Record<string, number[]> = { record: [], post: [] };
  if (process.env.BENCH_TRACE) {
    const rec = InboundService.prototype.record;
    InboundService.prototype.record = async function (this: InboundService, ...a: Parameters<typeof rec>) {
      const s = performance.now();
      try {
        return await rec.apply(this, a);
      } finally {
        trace.record!.push(performance.now() - s);
      }
    };
    const post = WebhookClient.prototype.post;
    WebhookClient.prototype.post = async function (this: WebhookClient, ...a: Parameters<typeof post>) {
      const s = performance.now();
      try {
        return await post.apply(this, a);
      } finally {
        trace.post!.push(performance.now() - s);
      }
    };
    process.on('exit', () => {
      for (const [k, v] of Object.entries(trace)) {
        v.sort((x, y) => x - y);
        console.log(
          k,
          'n',
          v.length,
          'p50',
          percentile(v, 50)?.toFixed(1),
          'p99',
          percentile(v, 99)?.toFixed(1),
        );
      }
    });
  }
  try {
    await setupMessaging(undefined as never, app, {
      smscs: [smsc],
      messaging: { webhookUrl: rx.url },
      windowSize: 50,
    });
    // Warm-up: connections, JIT, pools.
    for (let i = 0; i < 200; i++)
      await smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        short_message: encodeGsm(`warm ${i}`),
      });
    got.clear();
    const sent = await paceInbound(smsc, sentAt);
    return await inboundFigures(sentAt, got, sent, () => got.size >= sent);
  } finally {
    await app.stop();
    await smsc.close();
    await rx.close();
    for (const n of names) await admin.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Baseline: a raw session answering each deliver_sm and POSTing it straight to the receiver. */
async function inboundRaw(): Promise<InboundFigures> {
  const smsc = await startSmsc();
  const sentAt = new Map<string, number>();
  const got = new Map<string, number>();
  const rx = await receiver((text, at) => got.set(text, at));
  const session = smpp.connect({ host: '127.0.0.1', port: smsc.port });
  await new Promise<void>((resolve) => session.on('connect', () => resolve()));
  await new Promise<void>((resolve) =>
    session.send(new smpp.PDU('bind_transceiver', { system_id: 'bench', password: 'bench' }), () =>
      resolve(),
    ),
  );
  const client = new WebhookClient(32);
  session.on('deliver_sm', (pdu: smpp.PDU) => {
    session.send(pdu.response());
    const text = (pdu.short_message as Buffer).toString('latin1');
    client
      .post(rx.url, { 'content-type': 'application/json' }, JSON.stringify({ text }), 10_000)
      .catch(() => undefined);
  });
  while (smsc.boundSessions.length === 0) await new Promise((r) => setTimeout(r, 10));
  try {
    const sent = await paceInbound(smsc, sentAt);
    return await inboundFigures(sentAt, got, sent, () => got.size >= sent);
  } finally {
    session.destroy();
    client.close();
    await smsc.close();
    await rx.close();
  }
}

const ms = (n: number) => n.toFixed(1);
const rate = (n: number) => Math.round(n).toLocaleString('en-US');

async function main() {
  const smsc = await startSmsc();
  const out: (string | number)[][] = [['path', 'window', 'submit_sm/s', 'p50 ms', 'p99 ms']];
  const figures: Record<string, Figures> = {};
  for (const w of [10, 50]) {
    smsc.submits.length = 0;
    const a = await ours(smsc, w);
    smsc.submits.length = 0;
    const b = await raw(smsc, w);
    figures[`ours-${w}`] = a;
    out.push(['our Bind (window, rate, timeouts)', w, rate(a.perSec), ms(a.p50), ms(a.p99)]);
    out.push(['baseline: raw smpp session', w, rate(b.perSec), ms(b.p50), ms(b.p99)]);
    console.log(
      `outbound window ${w}: ours ${rate(a.perSec)}/s (p99 ${ms(a.p99)} ms), raw ${rate(b.perSec)}/s`,
    );
  }
  smsc.submits.length = 0;
  await smsc.close();

  const inOurs = await inboundOurs();
  const inRaw = await inboundRaw();
  console.log(
    `inbound: ours ${rate(inOurs.perSec)}/s p99 ${ms(inOurs.p99)} ms; raw ${rate(inRaw.perSec)}/s p99 ${ms(inRaw.p99)} ms`,
  );
  const inTable = table([
    ['path', 'offered/s', 'sent', 'delivered', 'delivered/s', 'p50 ms', 'p99 ms', 'max ms'],
    [
      'daemon: deliver_sm → PostgreSQL (MDR+outbox) → signed webhook',
      IN_RATE,
      inOurs.sent,
      inOurs.delivered,
      rate(inOurs.perSec),
      ms(inOurs.p50),
      ms(inOurs.p99),
      ms(inOurs.max),
    ],
    [
      'baseline: raw session → POST',
      IN_RATE,
      inRaw.sent,
      inRaw.delivered,
      rate(inRaw.perSec),
      ms(inRaw.p50),
      ms(inRaw.p99),
      ms(inRaw.max),
    ],
  ]);
  const w50 = figures['ours-50']!;
  const verdict =
    `Targets: ≥ 2,000 submit_sm/s at window 50: ${w50.perSec >= 2000 ? 'met' : 'NOT met'} (${rate(w50.perSec)}/s). ` +
    `1,000 inbound/s with p99 < 200 ms: ${inOurs.perSec >= IN_RATE * 0.95 && inOurs.p99 < 200 && inOurs.delivered === inOurs.sent ? 'met' : 'NOT met'} ` +
    `(${rate(inOurs.perSec)}/s, p99 ${ms(inOurs.p99)} ms, ${inOurs.delivered}/${inOurs.sent} delivered).`;
  writeSection(
    'messaging',
    'make bench BENCH=messaging',
    `Outbound: ${N.toLocaleString('en-US')} submit_sm through one bind to the local test SMSC (same process).\n\n` +
      table(out) +
      `\n\nInbound: deliver_sm offered at ${IN_RATE}/s for ${IN_SECONDS} s on one bind; latency from deliver_sm sent by the SMSC to the webhook request received (PostgreSQL ${PG.replace(/\/\/[^@]*@/, '//')}).\n\n` +
      inTable +
      `\n\n${verdict}\n`,
  );
  console.log(verdict);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
