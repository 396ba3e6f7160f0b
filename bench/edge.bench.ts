// Edge benchmark: a trivial drachtio-srf B2BUA (its own process) driven through the edge (its
// own process, node dist/edge/main.js) by sipp's built-in uac (1-second calls) against sipp's
// built-in uas, at rising call rates, 20 s each, as in shared/BENCHMARKS.md. Reports the highest
// rate with under 0.1% failed calls, CPU seconds per call of edge and app (/proc utime+stime),
// and peak RSS; then 5 minutes at 100 calls/s with the edge's RSS sampled for flatness.
// Knobs (environment): EDGE_BENCH_RATES ("100,200,..."), EDGE_BENCH_STEP_S (20),
// EDGE_BENCH_SOAK_S (300), EDGE_BENCH_SOAK_RATE (100).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { startEdgeProcess, EDGE_MAIN, type EdgeProcess } from '../test/support/edge-process.js';
import { runSipp, startSipp, type SippProcess } from '../test/support/sipp.js';
import { cpuSeconds, peakRssMiB, rssMiB } from './support/proc.js';
import { table, writeSection } from './support/results.js';

const RATES = (process.env.EDGE_BENCH_RATES ?? '100,200,300,400,500,600,800,1000,1200,1400,1600')
  .split(',')
  .map(Number);
const STEP_S = Number(process.env.EDGE_BENCH_STEP_S ?? 20);
const SOAK_S = Number(process.env.EDGE_BENCH_SOAK_S ?? 300);
const SOAK_RATE = Number(process.env.EDGE_BENCH_SOAK_RATE ?? 100);
const WARMUP_S = 60;
const BUFFER = 4 * 1024 * 1024;
const MAX_FAILED = 0.001;

interface Rig {
  edge: EdgeProcess;
  app: ChildProcess;
  uas: SippProcess;
  stop(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  const edge = await startEdgeProcess({ EDGE_LOG_LEVEL: 'info' });
  const uas = await startSipp({
    scenario: 'uas',
    traceMessages: false,
    timeoutMs: 3_600_000,
    bufferSize: BUFFER,
  });
  await uas.ready();
  const app = spawn(
    process.execPath,
    [
      '--import=tsx',
      'bench/support/trivial-b2bua.ts',
      String(edge.appPort),
      edge.secret,
      `sip:service@127.0.0.1:${uas.port}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    app.once('exit', (code) => reject(new Error(`the B2BUA exited with ${code}`)));
    app.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
  });
  return {
    edge,
    app,
    uas,
    async stop() {
      app.kill('SIGTERM');
      await uas.stop();
      await edge.stop();
    },
  };
}

interface Step {
  /** sipp's non-zero failure counters, e.g. FailedMaxUDPRetrans=12. */
  why: string;
  /** The machine's 1-minute load average at the end of the step (other work shares the cores). */
  load: number;
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  retransmissions: number;
  elapsed: number;
  edgeCpu: number;
  appCpu: number;
  edgePeakRss: number;
}

async function step(rig: Rig, rate: number): Promise<Step> {
  const calls = rate * STEP_S;
  const e0 = cpuSeconds(rig.edge.pid);
  const a0 = cpuSeconds(rig.app.pid as number);
  let peak = rssMiB(rig.edge.pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(rig.edge.pid));
  }, 500);
  const t0 = Date.now();
  const uac = await runSipp({
    scenario: 'uac',
    target: { port: rig.edge.sipPort },
    rate,
    calls,
    callDurationMs: 1000,
    traceMessages: false,
    bufferSize: BUFFER,
    timeoutMs: (STEP_S + 60) * 1000,
  });
  clearInterval(sampler);
  const elapsed = (Date.now() - t0) / 1000;
  const why = Object.entries(uac.stats?.raw ?? {})
    .filter(([k, v]) => k.startsWith('Failed') && k.endsWith('(C)') && k !== 'FailedCall(C)' && Number(v) > 0)
    .map(([k, v]) => `${k.slice(6, -3)}=${v}`)
    .join(' ');
  return {
    why,
    load: os.loadavg()[0] ?? 0,
    rate,
    calls,
    ok: uac.stats?.successfulCalls ?? 0,
    failed: calls - (uac.stats?.successfulCalls ?? 0),
    retransmissions: uac.stats?.retransmissions ?? 0,
    elapsed,
    edgeCpu: cpuSeconds(rig.edge.pid) - e0,
    appCpu: cpuSeconds(rig.app.pid as number) - a0,
    edgePeakRss: peak,
  };
}

async function soak(): Promise<{
  samples: { t: number; rss: number }[];
  calls: number;
  ok: number;
  peak: number;
}> {
  const rig = await startRig();
  const samples: { t: number; rss: number }[] = [];
  const t0 = Date.now();
  const sampler = setInterval(
    () => samples.push({ t: (Date.now() - t0) / 1000, rss: rssMiB(rig.edge.pid) }),
    5_000,
  );
  const calls = SOAK_RATE * SOAK_S;
  const uac = await runSipp({
    scenario: 'uac',
    target: { port: rig.edge.sipPort },
    rate: SOAK_RATE,
    calls,
    callDurationMs: 1000,
    traceMessages: false,
    bufferSize: BUFFER,
    timeoutMs: (SOAK_S + 60) * 1000,
  });
  clearInterval(sampler);
  const peak = peakRssMiB(rig.edge.pid);
  await rig.stop();
  return { samples, calls, ok: uac.stats?.successfulCalls ?? 0, peak };
}

const pct = (n: number): string => `${(n * 100).toFixed(0)}%`;
const ms = (s: number, calls: number): string => ((s / calls) * 1000).toFixed(3);

async function main(): Promise<void> {
  if (!existsSync(EDGE_MAIN)) throw new Error(`${EDGE_MAIN} is missing: run make build`);
  const rig = await startRig();
  const steps: Step[] = [];
  try {
    for (const rate of RATES) {
      const s = await step(rig, rate);
      steps.push(s);
      console.log(
        `${rate} cps: ${s.ok}/${s.calls} ok, ${s.failed} failed, edge ${pct(s.edgeCpu / s.elapsed)} (${ms(s.edgeCpu, s.calls)} ms/call), ` +
          `app ${pct(s.appCpu / s.elapsed)} (${ms(s.appCpu, s.calls)} ms/call), edge RSS peak ${s.edgePeakRss.toFixed(0)} MiB` +
          (s.why ? ` [${s.why}]` : ''),
      );
      if (s.failed / s.calls >= MAX_FAILED) break;
    }
  } finally {
    await rig.stop();
  }
  const passing = steps.filter((s) => s.failed / s.calls < MAX_FAILED);
  const best = passing[passing.length - 1];
  console.log(`highest rate under 0.1% failures: ${best?.rate ?? 'none'} cps`);

  console.log(`soak: ${SOAK_S} s at ${SOAK_RATE} cps`);
  const s = await soak();
  const settled = s.samples.filter((x) => x.t >= WARMUP_S).map((x) => x.rss);
  const min = Math.min(...settled);
  const max = Math.max(...settled);
  const mid = (min + max) / 2;
  const spread = (max - min) / 2 / mid;
  console.log(
    `soak: RSS after warm-up ${min.toFixed(1)}-${max.toFixed(1)} MiB (±${(spread * 100).toFixed(1)}%), ${s.ok}/${s.calls} calls ok`,
  );

  const rows: (string | number)[][] = [
    [
      'offered cps',
      'calls',
      'ok',
      'failed',
      'sipp retrans',
      'edge CPU (1 core = 100%)',
      'edge CPU s/call',
      'app CPU',
      'app CPU s/call',
      'edge peak RSS MiB',
      'load avg',
      'sipp failure counters',
    ],
    ...steps.map((x) => [
      x.rate,
      x.calls,
      x.ok,
      x.failed,
      x.retransmissions,
      pct(x.edgeCpu / x.elapsed),
      (x.edgeCpu / x.calls).toExponential(2),
      pct(x.appCpu / x.elapsed),
      (x.appCpu / x.calls).toExponential(2),
      x.edgePeakRss.toFixed(0),
      x.load.toFixed(1),
      x.why || '-',
    ]),
  ];
  const minutes: (string | number)[][] = [['time (s)', 'edge RSS MiB']];
  // Every sixth 5-second sample (about every 30 s), and the last.
  s.samples.forEach((x, i) => {
    if ((i + 1) % 6 === 0 || i === s.samples.length - 1) minutes.push([Math.round(x.t), x.rss.toFixed(1)]);
  });
  const body = [
    `Edge (\`node dist/edge/main.js\`, logging at info) and a trivial drachtio-srf B2BUA (\`bench/support/trivial-b2bua.ts\`) in`,
    `separate processes; sipp \`-sn uac -d 1000 -r R -m ${STEP_S}R\` against sipp \`-sn uas\`, all on 127.0.0.1 and the same 2 cores.`,
    `CPU is utime+stime from /proc over the run (load plus the tail of the last calls), so per-call figures are exact and the`,
    `percentages slightly low. The machine is shared with other work: its 1-minute load average is given for each step.`,
    '',
    table(rows),
    '',
    `**Highest rate with under 0.1% failed calls: ${best?.rate ?? 'none'} calls/s** ` +
      `(edge ${best ? pct(best.edgeCpu / best.elapsed) : '-'} of one core, app ${best ? pct(best.appCpu / best.elapsed) : '-'}).` +
      (steps.length > 0 && steps[steps.length - 1] === best
        ? ` The ramp stopped at its last rate, not at a failure.`
        : ''),
    '',
    `Memory: ${SOAK_S} s at ${SOAK_RATE} calls/s (${s.ok}/${s.calls} calls ok), edge RSS sampled every 5 s, fresh processes.`,
    `After ${WARMUP_S} s of warm-up it stayed within ${min.toFixed(1)}-${max.toFixed(1)} MiB: ±${(spread * 100).toFixed(1)}% ` +
      `(${spread <= 0.1 ? 'flat within ±10%' : 'NOT flat within ±10%'}); peak ${s.peak.toFixed(0)} MiB.`,
    '',
    table(minutes),
    '',
    'Reference, same method, from shared/BENCHMARKS.md: real drachtio-server v0.9.10 with the same trivial B2BUA carried',
    '300 calls/s with no failure at info logging and 400 at notice logging, failing from 500 (B-leg INVITEs timing out),',
    'with drachtio at about one full core (~100%) and node at ~55% at 400 calls/s. Kamailio 5.6 as a minimal stateful relay',
    '(a proxy, half the work of a B2BUA) carried 1,600 calls/s at 114% CPU (~0.7 ms CPU per call). Above ~1,600 calls/s',
    'sipp itself is the limit on this machine.',
  ].join('\n');
  writeSection('edge', 'make bench BENCH=edge', body);
}

await main();
