// Prometheus metrics of the edge, registered on the registry the embedding process passes in.
// Label values come from closed sets: message kinds, transports, rejection reasons written in
// this code, directions.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface EdgeMetrics {
  received(kind: 'request' | 'response', transport: string): void;
  rejected(reason: string): void;
  appFrame(direction: 'in' | 'out'): void;
}

const NOOP: EdgeMetrics = { received() {}, rejected() {}, appFrame() {} };

export function createMetrics(
  registry: Registry | undefined,
  sizes: () => { transactions: number; dialogs: number; apps: number; tcpConnections: number },
): EdgeMetrics {
  if (!registry) return NOOP;
  const received = new Counter({
    name: 'edge_sip_messages_received_total',
    help: 'SIP messages received and parsed by the edge',
    labelNames: ['kind', 'transport'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'edge_sip_rejected_total',
    help: 'SIP messages rejected or dropped as malformed or over a limit, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const frames = new Counter({
    name: 'edge_app_frames_total',
    help: 'App-protocol frames exchanged with apps',
    labelNames: ['direction'],
    registers: [registry],
  });
  const gauge = (name: string, help: string, pick: (s: ReturnType<typeof sizes>) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(sizes()));
      },
    });
  };
  gauge('edge_transactions', 'SIP transactions in the edge tables', (s) => s.transactions);
  gauge('edge_dialogs', 'SIP dialogs held by the edge', (s) => s.dialogs);
  gauge('edge_apps', 'Authenticated app connections', (s) => s.apps);
  gauge('edge_tcp_connections', 'Open SIP TCP connections', (s) => s.tcpConnections);
  // Label children are looked up once per label set, not on every message.
  const children = new Map<string, { inc(): void }>();
  const child = (key: string, make: () => { inc(): void }): { inc(): void } => {
    let c = children.get(key);
    if (!c) {
      c = make();
      children.set(key, c);
    }
    return c;
  };
  return {
    received: (kind, transport) =>
      child(`r|${kind}|${transport}`, () => received.labels(kind, transport)).inc(),
    rejected: (reason) => child(`x|${reason}`, () => rejected.labels(reason)).inc(),
    appFrame: (direction) => child(`f|${direction}`, () => frames.labels(direction)).inc(),
  };
}
