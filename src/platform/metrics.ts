// The metrics registry and the handful of process-wide metrics every component shares.
// Label values must come from bounded sets (regions, reasons, carrier names): never numbers or ids.
import { Registry, collectDefaultMetrics, Counter, Histogram, Gauge } from 'prom-client';

export type { Registry };

export function createRegistry(opts: { instance: string; collectDefaults?: boolean }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ instance: opts.instance });
  if (opts.collectDefaults !== false)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

/** Get-or-create, so a module can be constructed twice against one registry (tests, reconnects). */
export function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[] = [],
) {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter<L>({ name, help, labelNames, registers: [registry] })
  );
}

export function gauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[] = [],
) {
  return (
    (registry.getSingleMetric(name) as Gauge<L> | undefined) ??
    new Gauge<L>({ name, help, labelNames, registers: [registry] })
  );
}

export function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[] = [],
  buckets: number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
) {
  return (
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
    new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] })
  );
}
