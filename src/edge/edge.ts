// Composition of the edge: SIP transports on one port, the SIP core, the app listener, and an
// orderly close. Flow of a message: transport -> core/inbound (parse, reject) -> core/uas or a
// client transaction -> app frames; and app frame -> core/app-sip -> core/uac or
// core/app-responses -> transactions -> transport.
import os from 'node:os';
import pino, { type Logger } from 'pino';
import type { AppConnection } from './app/connection.js';
import { AppRegistry } from './app/registry.js';
import { startAppServer } from './app/server.js';
import { endDialog } from './core/client.js';
import type { ClientTxn, Core, ServerTxn } from './core/context.js';
import { onAppSip } from './core/app-sip.js';
import { releaseApp } from './core/dialog-end.js';
import { onFramingError, onInbound } from './core/inbound.js';
import { edgeResponse } from './core/responses.js';
import { sendCancel } from './core/client.js';
import { DialogStore } from './dialogs/dialog-store.js';
import { createMetrics } from './metrics.js';
import { resolveOptions, type EdgeOptions, type ResolvedOptions } from './options.js';
import { IdGenerator } from './support/ids.js';
import { RateLimitedLog } from './support/rate-limited-log.js';
import { TimerWheel } from './support/timer-wheel.js';
import { DEFAULT_TIMERS } from './transactions/context.js';
import { InviteClientTransaction } from './transactions/invite-client.js';
import { cancelFor } from './transactions/outgoing.js';
import { TransactionTable } from './transactions/table.js';
import { ReachabilityProbe } from './transport/reachability.js';
import { Resolver } from './transport/resolve.js';
import { startTcp, type TcpTransport } from './transport/tcp.js';
import { Transports } from './transport/transports.js';
import type { Inbound, Remote } from './transport/types.js';
import { startUdp, type UdpTransport } from './transport/udp.js';

/** What the edge reports as its version: drachtio's protocol level, so srf enables pings. */
export const EDGE_VERSION = 'v0.9.10-edge.1';

export interface RunningEdge {
  sipPort: number;
  appPort: number;
  host: string;
  /** Stops listeners, ends dialogs (BYE), cancels and answers pending transactions. */
  close(): Promise<void>;
  stats(): { transactions: number; dialogs: number; apps: number };
}

interface Bound {
  udp: UdpTransport | undefined;
  tcp: TcpTransport | undefined;
  port: number;
}

/** UDP and TCP on the same port; with port 0, retried until both get the same free port. */
async function bindSip(
  opts: ResolvedOptions,
  log: Logger,
  onMessage: (m: Inbound) => void,
  onFraming: (r: Remote, reason: string, head: string) => void,
): Promise<Bound> {
  const { host, transports } = opts.sip;
  const { limits } = opts;
  const tcpLimits = {
    maxConnections: limits.maxTcpConnections,
    idleTimeoutMs: limits.tcpIdleTimeoutMs,
    partialMessageTimeoutMs: limits.tcpPartialMessageTimeoutMs,
    maxHeaderBytes: limits.maxHeaderBytes,
    maxMessageBytes: limits.maxMessageBytes,
  };
  for (let attempt = 0; ; attempt++) {
    const udp = transports.includes('udp') ? await startUdp(host, opts.sip.port, onMessage, log) : undefined;
    const port = udp?.port ?? opts.sip.port;
    try {
      const tcp = transports.includes('tcp')
        ? await startTcp(host, port, tcpLimits, onMessage, onFraming, log)
        : undefined;
      return { udp, tcp, port: udp?.port ?? tcp?.port ?? port };
    } catch (err) {
      await udp?.close();
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!inUse || opts.sip.port !== 0 || attempt >= 20) throw err;
    }
  }
}

function localAddressesOf(host: string, advertised: string): Set<string> {
  const out = new Set([host, advertised]);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) out.add(i.address);
  }
  return out;
}

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const opts = resolveOptions(options, DEFAULT_TIMERS);
  const log = options.logger ?? pino({ level: 'silent' });
  const wheel = new TimerWheel(10, (err) => log.error({ err }, 'SIP timer callback failed'));
  const ids = new IdGenerator();
  const registry = new AppRegistry();
  // Messages can arrive between binding the sockets and building the core: they are ignored.
  const ref: { core?: Core } = {};
  const guarded = (what: string, fn: (c: Core) => void): void => {
    if (!ref.core) return;
    try {
      fn(ref.core);
    } catch (err) {
      log.error({ err }, `edge failed handling ${what}`);
    }
  };
  const bound = await bindSip(
    opts,
    log,
    (m) => guarded('a SIP message', (c) => onInbound(c, m)),
    (r, reason, head) => guarded('a framing error', (c) => onFramingError(c, r, reason, head)),
  );
  const advertisedHost = opts.sip.externalHost ?? (opts.sip.host === '0.0.0.0' ? '127.0.0.1' : opts.sip.host);
  const transports = new Transports(bound.udp, bound.tcp, advertisedHost, bound.port);
  const servers = new TransactionTable<ServerTxn>(opts.limits.maxTransactions);
  const clients = new TransactionTable<ClientTxn>(opts.limits.maxTransactions);
  const dialogs = new DialogStore(opts.limits.maxDialogs);
  const metrics = createMetrics(options.metrics, () => ({
    transactions: servers.size + clients.size,
    dialogs: dialogs.size,
    apps: registry.connections.size,
    tcpConnections: transports.tcpConnections,
  }));
  const core: Core = {
    log,
    rejects: new RateLimitedLog(log),
    ids,
    wheel,
    txn: {
      wheel,
      timers: opts.timers,
      send: (remote, text, onError) => transports.send(remote, text, onError),
    },
    transports,
    resolver: new Resolver(transports.names),
    probe: new ReachabilityProbe(wheel),
    registry,
    servers,
    clients,
    dialogs,
    metrics,
    limits: opts.limits,
    localAddresses: localAddressesOf(opts.sip.host, advertisedHost),
  };
  ref.core = core;
  const hostports = (host: string): string =>
    transports.names.map((t) => `${t}/${host}:${bound.port}`).join(',');
  const app = await startAppServer(
    {
      host: opts.app.host,
      port: opts.app.port,
      secret: opts.app.secret,
      tls: opts.app.tls,
      identity: () => `${hostports(advertisedHost)}|${EDGE_VERSION}|${hostports(opts.sip.host)}`,
    },
    {
      ids,
      log,
      registry,
      sip: (conn, command) => guarded('an app command', (c) => onAppSip(c, conn, command)),
      closed: (conn: AppConnection) => guarded('an app disconnect', (c) => releaseApp(c, conn)),
    },
  ).catch(async (err: unknown) => {
    await transports.close();
    wheel.close();
    throw err;
  });
  log.info(
    { sipPort: bound.port, appPort: app.port, host: opts.sip.host, transports: transports.names },
    'edge listening',
  );

  let closing: Promise<void> | undefined;
  const close = async (c: Core): Promise<void> => {
    for (const dialog of [...c.dialogs.values()])
      if (dialog.state === 'confirmed') endDialog(c, dialog, 'system-initiated-termination');
    for (const txn of [...c.servers.values()]) {
      if (txn.state === 'proceeding' || txn.state === 'trying')
        txn.respond(503, edgeResponse(txn.request, txn.topVia, txn.toTag, 503));
    }
    for (const txn of [...c.clients.values()]) {
      if (txn instanceof InviteClientTransaction && txn.state === 'proceeding')
        sendCancel(c, txn, cancelFor(txn.request), ids.uuid());
    }
    await transports.drain();
    await app.close();
    await transports.close();
    c.probe.close();
    wheel.close();
    log.info('edge closed');
  };
  return {
    sipPort: bound.port,
    appPort: app.port,
    host: opts.sip.host,
    close() {
      closing ??= close(core);
      return closing;
    },
    stats() {
      return {
        transactions: servers.size + clients.size,
        dialogs: dialogs.size,
        apps: registry.connections.size,
      };
    },
  };
}
