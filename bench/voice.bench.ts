// Voice benchmark: the routing core (call control with every check on: carrier recognition,
// libphonenumber normalisation, number cache, SDP policy, CDR and SIP trace per call through the
// records writer) against the trivial drachtio-srf B2BUA of the reference measurements, both as
// their own process behind the same edge process, driven by sipp's uac (1-second calls) against
// sipp's uas at rising rates. Reports the highest rate with under 0.1% failed calls for each, in the
// same run. (The routing-decision microbench with 1,000,000 numbers is bench/routing.bench.ts.)
// Knobs: VOICE_BENCH_RATES ("50,100,..."), VOICE_BENCH_STEP_S (10).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { startEdgeProcess, EDGE_MAIN, type EdgeProcess } from '../test/support/edge-process.js';
import { runSipp, startSipp, type SippProcess } from '../test/support/sipp.js';
import { cpuSeconds } from './support/proc.js';
import { table, writeSection } from './support/results.js';

const RATES = (process.env.VOICE_BENCH_RATES ?? '100,200,400,600,800,1000,1200').split(',').map(Number);
const STEP_S = Number(process.env.VOICE_BENCH_STEP_S ?? 10);
const BUFFER = 4 * 1024 * 1024;
const MAX_FAILED = 0.001;
const NUMBER = '+12025550100';

type Kind = 'trivial B2BUA' | 'routing core';

interface Rig {
  edge: EdgeProcess;
  app: ChildProcess;
  uas: SippProcess;
  stop(): Promise<void>;
}

async function startRig(kind: Kind): Promise<Rig> {
  const edge = await startEdgeProcess({ EDGE_LOG_LEVEL: 'info' });
  const uas = await startSipp({
    scenario: 'uas',
    traceMessages: false,
    timeoutMs: 3_600_000,
    bufferSize: BUFFER,
  });
  await uas.ready();
  const target = `sip:service@127.0.0.1:${uas.port}`;
  const script = kind === 'trivial B2BUA' ? 'bench/support/trivial-b2bua.ts' : 'bench/support/voice-core.ts';
  const args = [String(edge.appPort), edge.secret, target, ...(kind === 'routing core' ? [NUMBER] : [])];
  const app = spawn(process.execPath, ['--import=tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    app.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
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
      await new Promise((r) => setTimeout(r, 500));
      app.kill('SIGKILL');
      await uas.stop();
      await edge.stop();
    },
  };
}

interface Step {
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  appCpu: number;
  elapsed: number;
  load: number;
}

async function step(rig: Rig, rate: number): Promise<Step> {
  const calls = rate * STEP_S;
  const a0 = cpuSeconds(rig.app.pid as number);
  const t0 = Date.now();
  const uac = await runSipp({
    scenario: 'uac',
    target: { port: rig.edge.sipPort },
    service: NUMBER,
    rate,
    calls,
    callDurationMs: 1000,
    traceMessages: false,
    bufferSize: BUFFER,
    timeoutMs: (STEP_S + 60) * 1000,
  });
  const ok = uac.stats?.successfulCalls ?? 0;
  return {
    rate,
    calls,
    ok,
    failed: calls - ok,
    appCpu: cpuSeconds(rig.app.pid as number) - a0,
    elapsed: (Date.now() - t0) / 1000,
    load: os.loadavg()[0] ?? 0,
  };
}

async function ramp(kind: Kind): Promise<Step[]> {
  const rig = await startRig(kind);
  const steps: Step[] = [];
  try {
    for (const rate of RATES) {
      const s = await step(rig, rate);
      steps.push(s);
      console.log(
        `${kind}: ${rate} cps: ${s.ok}/${s.calls} ok, app CPU ${((s.appCpu / s.calls) * 1000).toFixed(2)} ms/call, load ${s.load.toFixed(1)}`,
      );
      if (s.failed / s.calls >= MAX_FAILED) break;
    }
  } finally {
    await rig.stop();
  }
  return steps;
}

const best = (steps: Step[]) => steps.filter((s) => s.failed / s.calls < MAX_FAILED).pop();

async function main(): Promise<void> {
  if (!existsSync(EDGE_MAIN)) throw new Error(`${EDGE_MAIN} is missing: run make build`);
  const trivial = await ramp('trivial B2BUA');
  const core = await ramp('routing core');
  const bt = best(trivial);
  const bc = best(core);
  const ratio = bt && bc ? bc.rate / bt.rate : 0;
  console.log(
    `trivial ${bt?.rate ?? 'none'} cps, routing core ${bc?.rate ?? 'none'} cps (${(ratio * 100).toFixed(0)}%)`,
  );
  const rows: (string | number)[][] = [
    ['app', 'offered cps', 'calls', 'ok', 'failed', 'app CPU ms/call', 'load avg'],
    ...[
      ...trivial.map((s) => ['trivial B2BUA', s] as const),
      ...core.map((s) => ['routing core', s] as const),
    ].map(([k, s]) => [
      k,
      s.rate,
      s.calls,
      s.ok,
      s.failed,
      ((s.appCpu / s.calls) * 1000).toFixed(2),
      s.load.toFixed(1),
    ]),
  ];
  const body = [
    'Edge process (`node dist/edge/main.js`), sipp `-sn uac -d 1000 -r R -m ' +
      STEP_S +
      'R` to the DID ' +
      NUMBER +
      ' against sipp `-sn uas`;',
    'the app is either the trivial drachtio-srf B2BUA (`bench/support/trivial-b2bua.ts`) or the routing core',
    '(`bench/support/voice-core.ts`: the daemon with carrier recognition, number normalisation and lookup, SDP policy,',
    'limits, a CDR and a SIP trace per call written to embedded PGlite). Same machine (2 shared cores), same run.',
    '',
    table(rows),
    '',
    `**Highest rate under 0.1% failed calls: trivial B2BUA ${bt?.rate ?? 'none'} calls/s, routing core ${bc?.rate ?? 'none'} calls/s ` +
      `(${(ratio * 100).toFixed(0)}% of the trivial B2BUA; target at least 80%).**` +
      (trivial[trivial.length - 1] === bt || core[core.length - 1] === bc
        ? ' A ramp that ends without a failing step stopped at its last rate, not at a failure: the figure is a lower bound.'
        : ''),
    '',
    'CPU per call falls with the rate because fixed costs (timers, pings, the records flush loop) are spread over more',
    'calls. The 1-minute load average is that of the whole shared machine (other work included).',
  ].join('\n');
  writeSection('voice', 'make bench BENCH=voice', body);
}

await main();
