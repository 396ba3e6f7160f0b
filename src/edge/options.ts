// Options of the edge: checked once with explicit messages, defaults applied, then frozen.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SipTimers } from './transactions/context.js';

export type SipTransportName = 'udp' | 'tcp';

export interface EdgeLimits {
  /** Server and client transactions each; past it new requests get a stateless 503. */
  readonly maxTransactions: number;
  readonly maxDialogs: number;
  readonly maxMessageHeaders: number;
  readonly maxTcpConnections: number;
  readonly maxHeaderBytes: number;
  readonly maxMessageBytes: number;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpPartialMessageTimeoutMs: number;
  readonly inviteAnswerTimeoutMs: number;
  readonly timerCMs: number;
  readonly orphanDialogTtlMs: number;
}

export interface EdgeOptions {
  /** port 0 = any free port (the same number for UDP and TCP). */
  sip: { host: string; port: number; transports?: SipTransportName[]; externalHost?: string };
  app: {
    host: string;
    port: number;
    secret: string;
    tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
  };
  /** Defaults to a silent logger. */
  logger?: Logger;
  /** Optional: counters and gauges prefixed `edge_`. */
  metrics?: Registry;
  /** Optional overrides of the bounds the edge keeps (defaults suit production). */
  limits?: Partial<EdgeLimits>;
  /** Optional RFC 3261 timer values (T1, T2, T4), for tests of timer behaviour. */
  timers?: Partial<SipTimers>;
}

export const DEFAULT_LIMITS: EdgeLimits = {
  maxTransactions: 100_000,
  maxDialogs: 100_000,
  maxMessageHeaders: 256,
  maxTcpConnections: 4_096,
  maxHeaderBytes: 32 * 1024,
  maxMessageBytes: 64 * 1024,
  tcpIdleTimeoutMs: 10 * 60_000,
  tcpPartialMessageTimeoutMs: 32_000,
  inviteAnswerTimeoutMs: 5 * 60_000,
  timerCMs: 3 * 60_000,
  orphanDialogTtlMs: 60 * 60_000,
};

function check(condition: boolean, message: string): void {
  if (!condition) throw new TypeError(`startEdge: ${message}`);
}

function validPort(port: unknown): boolean {
  return Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535;
}

export interface ResolvedOptions {
  readonly sip: {
    readonly host: string;
    readonly port: number;
    readonly transports: readonly SipTransportName[];
    readonly externalHost: string | undefined;
  };
  readonly app: EdgeOptions['app'];
  readonly limits: EdgeLimits;
  readonly timers: SipTimers;
}

export function resolveOptions(options: EdgeOptions, defaultTimers: SipTimers): ResolvedOptions {
  check(typeof options === 'object' && options !== null, 'options are required');
  check(
    typeof options.sip?.host === 'string' && options.sip.host.length > 0,
    'sip.host must be a non-empty string',
  );
  check(validPort(options.sip.port), 'sip.port must be an integer from 0 to 65535');
  const transports = options.sip.transports ?? ['udp', 'tcp'];
  check(
    transports.length > 0 && transports.every((t) => t === 'udp' || t === 'tcp'),
    'sip.transports must list udp and/or tcp',
  );
  check(
    typeof options.app?.host === 'string' && options.app.host.length > 0,
    'app.host must be a non-empty string',
  );
  check(validPort(options.app.port), 'app.port must be an integer from 0 to 65535');
  check(
    typeof options.app.secret === 'string' && options.app.secret.length > 0,
    'app.secret must be a non-empty string',
  );
  check(!options.app.secret.includes('|'), 'app.secret may not contain "|" (the app protocol separator)');
  const limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  for (const [name, value] of Object.entries(limits))
    check(Number.isInteger(value) && value >= 0, `limits.${name} must be a non-negative integer`);
  const timers = { ...defaultTimers, ...(options.timers ?? {}) };
  check(
    timers.t1 > 0 && timers.t2 >= timers.t1 && timers.t4 > 0,
    'timers must satisfy 0 < t1 <= t2 and t4 > 0',
  );
  return Object.freeze({
    sip: Object.freeze({
      host: options.sip.host,
      port: options.sip.port,
      transports: Object.freeze([...new Set(transports)]),
      externalHost: options.sip.externalHost,
    }),
    app: options.app,
    limits: Object.freeze(limits),
    timers: Object.freeze(timers),
  });
}
