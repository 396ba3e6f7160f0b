// A typed runner for sipp (3.6, Debian `sip-tester`), the real SIP peer of every SIP test.
//
//   const uas = await startSipp({ scenario: 'uas', calls: 1 });          // listens on uas.port
//   const uac = await runSipp({ scenario: 'uac', target: edge, calls: 1, callDurationMs: 500 });
//   t.equal(uac.exitCode, 0); t.equal(uac.stats?.successfulCalls, 1);
//   t.ok(uac.messages.some((m) => m.direction === 'received' && m.status === 200));
//
// Every run gets its own work directory, a free port (sipp needs an explicit one), a bounded run
// time (sipp's -timeout plus a kill after a grace period), and the message trace (-trace_msg) and
// final statistics (-trace_stat) parsed. Built-in scenarios are named ('uac', 'uas'); XML files
// are given by path (see test/support/sipp/ and test/fixtures/drachtio-wire/harness/sipp/).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, isBound } from './ports.js';

export type BuiltinScenario = 'uac' | 'uas' | 'uac_pcap' | 'regexp' | 'branchc' | 'branchs';

export interface SippOptions {
  /** A built-in scenario (`sipp -sn`) or an XML scenario file (`sipp -sf`). */
  scenario: BuiltinScenario | { file: string };
  /** Where a UAC sends its calls (host and port of the edge). */
  target?: { host?: string; port: number };
  transport?: 'udp' | 'tcp';
  /** -i: the address written into Via, Contact and From; default 127.0.0.1. */
  localHost?: string;
  /** -p: the port sipp binds; default a free port from ports.ts. */
  localPort?: number;
  /** -m: stop after this many calls. */
  calls?: number;
  /** -r / -rp: call rate, default per second. */
  rate?: number;
  ratePeriodMs?: number;
  /** -d: pause length of the built-in scenarios (call duration). */
  callDurationMs?: number;
  /** -l: most simultaneous calls. */
  maxConcurrent?: number;
  /** -s: user part of the Request-URI, default 'service'. */
  service?: string;
  /** -lost: percentage of packets sipp drops on purpose. */
  lossPercent?: number;
  /** -au / -ap: digest credentials for [authentication]. */
  auth?: { username: string; password: string };
  /** -key name value, for [name] in scenarios. */
  keys?: Record<string, string>;
  /** Bound on the whole run; sipp gets -timeout and is killed after a grace period. Default 30 s. */
  timeoutMs?: number;
  /** -trace_msg into the work directory; default true (switch off for load runs). */
  traceMessages?: boolean;
  /** -buff_size, for high call rates. */
  bufferSize?: number;
  extraArgs?: string[];
  /** Keep the work directory after the run (default: removed). */
  keepWorkDir?: boolean;
}

export interface SippMessage {
  readonly direction: 'sent' | 'received';
  readonly transport: string;
  readonly text: string;
  readonly startLine: string;
  /** Set for requests. */
  readonly method: string | undefined;
  /** Set for responses. */
  readonly status: number | undefined;
  /** First value of a header (case-insensitive name), or undefined. */
  header(name: string): string | undefined;
}

export interface SippStats {
  readonly successfulCalls: number;
  readonly failedCalls: number;
  readonly outgoingCalls: number;
  readonly incomingCalls: number;
  readonly retransmissions: number;
  readonly failedMaxUdpRetrans: number;
  readonly failedUnexpectedMessage: number;
  readonly deadCallMsgs: number;
  /** Every cumulative column of sipp's statistics file, by column name. */
  readonly raw: Readonly<Record<string, string>>;
}

export interface SippResult {
  /** 0: all calls succeeded; 1: at least one failed; 97/99: other normal exits; null when killed. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stats: SippStats | undefined;
  readonly messages: SippMessage[];
  /** Contents of sipp's error log (unexpected messages and the like). */
  readonly errors: string;
  readonly output: string;
  readonly args: readonly string[];
}

export interface SippProcess {
  readonly port: number;
  readonly pid: number;
  readonly args: readonly string[];
  /** Resolves once sipp's socket is bound (read from /proc/net, never by probing the port). */
  ready(): Promise<void>;
  /** Resolves when sipp exits on its own (or is killed at the time bound). */
  readonly done: Promise<SippResult>;
  /** Ends sipp (SIGTERM, then SIGKILL) and returns its result. */
  stop(): Promise<SippResult>;
}

const GRACE_MS = 5_000;

function buildArgs(o: SippOptions, port: number, workDir: string): string[] {
  const args: string[] = [];
  if (typeof o.scenario === 'string') args.push('-sn', o.scenario);
  else args.push('-sf', path.resolve(o.scenario.file));
  if (o.target) args.push(`${o.target.host ?? '127.0.0.1'}:${o.target.port}`);
  args.push('-i', o.localHost ?? '127.0.0.1', '-p', String(port));
  if (o.transport === 'tcp') args.push('-t', 't1');
  if (o.calls !== undefined) args.push('-m', String(o.calls));
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  if (o.ratePeriodMs !== undefined) args.push('-rp', `${o.ratePeriodMs}ms`);
  if (o.callDurationMs !== undefined) args.push('-d', String(o.callDurationMs));
  if (o.maxConcurrent !== undefined) args.push('-l', String(o.maxConcurrent));
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.lossPercent !== undefined) args.push('-lost', String(o.lossPercent));
  if (o.auth) args.push('-au', o.auth.username, '-ap', o.auth.password);
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  if (o.bufferSize !== undefined) args.push('-buff_size', String(o.bufferSize));
  const timeoutS = Math.ceil((o.timeoutMs ?? 30_000) / 1000);
  args.push('-timeout', `${timeoutS}s`, '-nostdin');
  args.push('-trace_stat', '-stf', path.join(workDir, 'stats.csv'), '-fd', '1');
  args.push('-trace_err', '-error_file', path.join(workDir, 'errors.log'));
  if (o.traceMessages !== false) args.push('-trace_msg', '-message_file', path.join(workDir, 'messages.log'));
  args.push(...(o.extraArgs ?? []));
  return args;
}

export async function startSipp(options: SippOptions): Promise<SippProcess> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sipp-'));
  const port = options.localPort ?? (await freePort(options.localHost ?? '127.0.0.1'));
  const args = buildArgs(options, port, workDir);
  const child: ChildProcess = spawn('sipp', args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const bound = (options.timeoutMs ?? 30_000) + GRACE_MS;
  const killer = setTimeout(() => child.kill('SIGKILL'), bound);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const done = exited.then(async ({ code, signal }) => {
    clearTimeout(killer);
    const result = await collect(workDir, args, code, signal, output);
    if (!options.keepWorkDir) await rm(workDir, { recursive: true, force: true });
    return result;
  });
  const transport = options.transport === 'tcp' ? 'tcp' : 'udp';
  return {
    port,
    pid: child.pid ?? -1,
    args,
    done,
    async ready() {
      const deadline = Date.now() + 10_000;
      while (!(await isBound(port, transport))) {
        if (child.exitCode !== null)
          throw new Error(`sipp exited before binding port ${port}: ${output.slice(-500)}`);
        if (Date.now() > deadline) throw new Error(`sipp did not bind port ${port} within 10 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
        await exited;
        clearTimeout(hard);
      }
      return done;
    },
  };
}

/** Starts sipp and waits for it to exit. */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  const sipp = await startSipp(options);
  return sipp.done;
}

async function collect(
  workDir: string,
  args: string[],
  code: number | null,
  signal: NodeJS.Signals | null,
  output: string,
): Promise<SippResult> {
  const files = await readdir(workDir).catch(() => [] as string[]);
  const read = (name: string): Promise<string> =>
    readFile(path.join(workDir, name), 'latin1').catch(() => '');
  const stats = parseStats(await read('stats.csv'));
  const messages = parseMessages(await read('messages.log'));
  const errors = (await Promise.all(files.filter((f) => f.startsWith('errors')).map(read))).join('');
  return { exitCode: code, signal, stats, messages, errors, output, args };
}

export function parseStats(csv: string): SippStats | undefined {
  const lines = csv.split('\n').filter((l) => l.trim().length > 0);
  const head = lines[0];
  const last = lines[lines.length - 1];
  if (!head || !last || lines.length < 2) return undefined;
  const names = head.split(';');
  const values = last.split(';');
  const raw: Record<string, string> = {};
  names.forEach((n, i) => {
    if (n) raw[n] = values[i] ?? '';
  });
  const num = (name: string): number => Number(raw[`${name}(C)`] ?? 0);
  return {
    successfulCalls: num('SuccessfulCall'),
    failedCalls: num('FailedCall'),
    outgoingCalls: num('OutgoingCall'),
    incomingCalls: num('IncomingCall'),
    retransmissions: num('Retransmissions'),
    failedMaxUdpRetrans: num('FailedMaxUDPRetrans'),
    failedUnexpectedMessage: num('FailedUnexpectedMessage'),
    deadCallMsgs: num('DeadCallMsgs'),
    raw,
  };
}

const SEPARATOR = /^-{20,}/;
const HEAD = /^(\w+) message (sent|received)/;

export function parseMessages(log: string): SippMessage[] {
  const out: SippMessage[] = [];
  const lines = log.split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    if (!SEPARATOR.test(lines[i] as string)) {
      i++;
      continue;
    }
    i++;
    while (i < lines.length && (lines[i] as string).trim() === '') i++;
    const head = HEAD.exec(lines[i] ?? '');
    if (!head) continue;
    i++;
    while (i < lines.length && (lines[i] as string).trim() === '') i++;
    const body: string[] = [];
    while (i < lines.length && !SEPARATOR.test(lines[i] as string)) body.push(lines[i++] as string);
    while (body.length > 0 && (body[body.length - 1] as string).trim() === '') body.pop();
    if (body.length === 0) continue;
    out.push(makeMessage(head[2] as 'sent' | 'received', (head[1] as string).toLowerCase(), body));
  }
  return out;
}

function makeMessage(direction: 'sent' | 'received', transport: string, lines: string[]): SippMessage {
  const startLine = (lines[0] ?? '').trim();
  const status = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  const headers: { name: string; value: string }[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') break;
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return {
    direction,
    transport,
    text: lines.join('\r\n'),
    startLine,
    method: status ? undefined : startLine.split(' ')[0],
    status: status ? Number(status[1]) : undefined,
    header: (name) => headers.find((h) => h.name === name.toLowerCase())?.value,
  };
}
