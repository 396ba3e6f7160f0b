// Starts the edge on its own: `node dist/edge/main.js [--sip-host H] [--sip-port P]
// [--transports udp,tcp] [--external-host H] [--app-host H] [--app-port P] [--secret S]
// [--log-level L]`, each also readable from the environment (EDGE_SIP_HOST, EDGE_SIP_PORT,
// EDGE_TRANSPORTS, EDGE_EXTERNAL_HOST, EDGE_APP_HOST, EDGE_APP_PORT, EDGE_SECRET,
// EDGE_LOG_LEVEL, EDGE_TLS_KEY / EDGE_TLS_CERT / EDGE_TLS_CA as file paths, EDGE_STATS_INTERVAL_S).
// The secret has no default. Logs are JSON lines on stdout; the "edge listening" line carries the
// bound ports, an "edge stats" line every minute the table sizes and memory.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startEdge } from './index.js';
import type { SipTransportName } from './options.js';

const { values } = parseArgs({
  options: {
    'sip-host': { type: 'string' },
    'sip-port': { type: 'string' },
    transports: { type: 'string' },
    'external-host': { type: 'string' },
    'app-host': { type: 'string' },
    'app-port': { type: 'string' },
    secret: { type: 'string' },
    'log-level': { type: 'string' },
  },
});

const env = process.env;
const setting = (flag: string | undefined, name: string, fallback?: string): string | undefined =>
  flag ?? env[name] ?? fallback;

const log = pino({
  level: setting(values['log-level'], 'EDGE_LOG_LEVEL', 'info'),
  base: { component: 'edge' },
});
const secret = setting(values.secret, 'EDGE_SECRET');
if (!secret) {
  log.fatal('no app secret: set EDGE_SECRET or pass --secret');
  process.exit(2);
}
const tlsKey = env.EDGE_TLS_KEY;
const tlsCert = env.EDGE_TLS_CERT;
const tlsCa = env.EDGE_TLS_CA;

try {
  const edge = await startEdge({
    sip: {
      host: setting(values['sip-host'], 'EDGE_SIP_HOST', '127.0.0.1') as string,
      port: Number(setting(values['sip-port'], 'EDGE_SIP_PORT', '5060')),
      transports: (setting(values.transports, 'EDGE_TRANSPORTS', 'udp,tcp') as string)
        .split(',')
        .map((t) => t.trim()) as SipTransportName[],
      ...(setting(values['external-host'], 'EDGE_EXTERNAL_HOST')
        ? { externalHost: setting(values['external-host'], 'EDGE_EXTERNAL_HOST') as string }
        : {}),
    },
    app: {
      host: setting(values['app-host'], 'EDGE_APP_HOST', '127.0.0.1') as string,
      port: Number(setting(values['app-port'], 'EDGE_APP_PORT', '9022')),
      secret,
      ...(tlsKey && tlsCert
        ? {
            tls: {
              key: readFileSync(tlsKey),
              cert: readFileSync(tlsCert),
              ...(tlsCa ? { ca: readFileSync(tlsCa) } : {}),
            },
          }
        : {}),
    },
    logger: log,
  });
  // A periodic line with the table sizes and memory, for operators and for the benchmark.
  const statsEvery = Number(env.EDGE_STATS_INTERVAL_S ?? 60) * 1000;
  const statsTimer = setInterval(() => {
    const mem = process.memoryUsage();
    const mib = (n: number): number => Math.round(n / 1048576);
    log.info(
      {
        ...edge.stats(),
        rssMiB: mib(mem.rss),
        heapUsedMiB: mib(mem.heapUsed),
        heapTotalMiB: mib(mem.heapTotal),
        externalMiB: mib(mem.external),
      },
      'edge stats',
    );
  }, statsEvery);
  statsTimer.unref();
  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping edge');
    void edge.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
} catch (err) {
  log.fatal({ err }, 'edge failed to start');
  process.exit(1);
}
