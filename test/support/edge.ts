// An edge for a test: on loopback, port 0 for SIP and app, a fresh secret, and its pino lines
// captured so that tests can assert on what it logged (parsed JSON, never text matching).
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startEdge, type EdgeOptions, type RunningEdge } from '../../src/edge/index.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestEdge extends RunningEdge {
  readonly secret: string;
  readonly logs: LogLine[];
  readonly metrics: Registry;
}

export async function startTestEdge(
  overrides: Partial<Omit<EdgeOptions, 'logger' | 'metrics'>> & { logLevel?: string } = {},
): Promise<TestEdge> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const secret = `secret-${Math.random().toString(36).slice(2)}`;
  const metrics = new Registry();
  const edge = await startEdge({
    sip: { host: '127.0.0.1', port: 0, ...overrides.sip },
    app: { host: '127.0.0.1', port: 0, secret, ...overrides.app },
    limits: overrides.limits,
    timers: overrides.timers,
    logger: pino({ level: overrides.logLevel ?? 'info' }, sink),
    metrics,
  });
  return Object.assign(edge, { secret: overrides.app?.secret ?? secret, logs, metrics });
}
