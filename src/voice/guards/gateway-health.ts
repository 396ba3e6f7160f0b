// Carrier gateway health, shared across instances. Two ways a gateway goes out of service:
// OPTIONS pings (failuresBeforeDown consecutive failures; successesBeforeUp to come back), and too
// many recent call failures (callFailures within callFailureWindowMs: down for downForMs).
//
// One instance pings a gateway per interval (a lock per gateway and round), so pings do not multiply
// with the number of instances; the results go into one shared hash that every instance reads into a
// local view, which the synchronous `isUp` predicate (for RouteTable.select) answers from.
import type { Logger } from 'pino';
import type { SharedState } from '../../state/index.js';
import type { Gateway } from '../../plan/plan.repo.js';
import type { PolicyMetrics } from './policy-metrics.js';

export interface GatewayHealthConfig {
  pingIntervalMs: number;
  pingTimeoutMs: number;
  failuresBeforeDown: number;
  successesBeforeUp: number;
  callFailures: number;
  callFailureWindowMs: number;
  downForMs: number;
}

/** The SIP status of an OPTIONS answer, or 0 / a thrown error for no answer. */
export type SendOptions = (gateway: Gateway) => Promise<number>;

/** Per gateway: ping state and counters, and the end of a call-failure down period. */
interface View {
  pingDown: boolean;
  fails: number;
  oks: number;
  downUntil: number;
}

const HASH = 'voice:gw-health';
const HASH_TTL = 7 * 24 * 3_600_000;
const CALL_FAILS = (id: string) => `voice:gw-callfail:${id}`;
const PING_LOCK = (id: string) => `voice:gw-ping:${id}`;

const fresh = (): View => ({ pingDown: false, fails: 0, oks: 0, downUntil: 0 });

export interface GatewayHealthDeps {
  state: SharedState;
  config: GatewayHealthConfig;
  sendOptions: SendOptions;
  /** Name of the gateway's carrier (metric label). */
  carrierName: (gateway: Gateway) => string;
  instanceId: string;
  metrics: PolicyMetrics;
  log: Logger;
  now?: () => number;
}

export class GatewayHealth {
  #view = new Map<string, View>();
  #gateways: readonly Gateway[] = [];
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  readonly #now: () => number;

  constructor(private readonly deps: GatewayHealthDeps) {
    this.#now = deps.now ?? Date.now;
  }

  /** The gateways to watch (outbound-capable ones of the current plan). */
  setGateways(gateways: readonly Gateway[]): void {
    this.#gateways = gateways.filter((g) => g.direction !== 'inbound');
    for (const g of this.#gateways) this.#publish(g, this.#view.get(g.id) ?? fresh());
  }

  /** For RouteTable.select: synchronous, from the local view of the shared state. */
  readonly isUp = (gateway: Gateway): boolean => {
    const v = this.#view.get(gateway.id);
    return !v || (!v.pingDown && v.downUntil <= this.#now());
  };

  /** Pings (when due and this instance wins the round) and refreshes the view, every interval. */
  start(refreshMs = 1000): void {
    const tick = () => {
      this.#round ??= this.round().finally(() => (this.#round = undefined));
    };
    this.#timer = setInterval(tick, Math.min(refreshMs, this.deps.config.pingIntervalMs || refreshMs));
    this.#timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#round;
  }

  /** One round: pull the shared view, ping the gateways this instance won, push the results. */
  async round(): Promise<void> {
    await this.refresh();
    if (this.deps.config.pingIntervalMs > 0) {
      await Promise.all(
        this.#gateways.map(async (g) => {
          let won = false;
          try {
            won = await this.deps.state.tryLock(
              PING_LOCK(g.id),
              this.deps.instanceId,
              this.deps.config.pingIntervalMs,
            );
          } catch (err) {
            this.#stateError(err);
          }
          if (won) await this.ping(g);
        }),
      );
    }
  }

  /** Reads the shared hash into the local view. */
  async refresh(): Promise<void> {
    let all: Record<string, string>;
    try {
      all = await this.deps.state.hashGetAll(HASH);
    } catch (err) {
      this.#stateError(err);
      return;
    }
    const next = new Map<string, View>();
    for (const [id, json] of Object.entries(all)) {
      try {
        next.set(id, { ...fresh(), ...(JSON.parse(json) as Partial<View>) });
      } catch {
        // A malformed field is ignored: the gateway counts as in service until the next ping.
      }
    }
    for (const g of this.#gateways) this.#publish(g, next.get(g.id) ?? fresh());
    this.#view = next;
  }

  /** Pings one gateway now and records the result. */
  async ping(g: Gateway): Promise<boolean> {
    const { config } = this.deps;
    let status = 0;
    let timer: NodeJS.Timeout | undefined;
    try {
      status = await Promise.race([
        this.deps.sendOptions(g),
        new Promise<number>((resolve) => {
          timer = setTimeout(() => resolve(0), config.pingTimeoutMs);
        }),
      ]);
    } catch {
      status = 0;
    } finally {
      clearTimeout(timer);
    }
    // Any final answer means the gateway's SIP stack is alive (many answer OPTIONS with 403/404/405);
    // only no answer, 408 and 5xx/6xx overload answers count as failures.
    const ok = status >= 200 && status < 500 && status !== 408;
    const carrier = this.deps.carrierName(g);
    this.deps.metrics.gatewayPings.inc({ carrier, result: ok ? 'ok' : 'failed' });
    const v = { ...(this.#view.get(g.id) ?? fresh()) };
    if (ok) {
      v.oks += 1;
      v.fails = 0;
      if (v.pingDown && v.oks >= config.successesBeforeUp) {
        v.pingDown = false;
        this.deps.log.info({ gateway: g.id, carrier }, 'gateway back in service (OPTIONS)');
      }
    } else {
      v.fails += 1;
      v.oks = 0;
      if (!v.pingDown && v.fails >= config.failuresBeforeDown) {
        v.pingDown = true;
        this.deps.metrics.gatewayMarkedDown.inc({ carrier, reason: 'options' });
        this.deps.log.warn(
          { gateway: g.id, carrier, status },
          'gateway out of service: OPTIONS pings failing',
        );
      }
    }
    await this.#write(g, v);
    return ok;
  }

  /**
   * A call attempt to this gateway failed (timeout, 408, 5xx). Too many in the window take the
   * gateway out of service for downForMs, on every instance.
   */
  async recordCallFailure(g: Gateway, callId?: string): Promise<void> {
    const { config } = this.deps;
    try {
      const { count } = await this.deps.state.incrWindow(CALL_FAILS(g.id), config.callFailureWindowMs);
      if (count !== config.callFailures) return;
      await this.refresh();
      const v = { ...(this.#view.get(g.id) ?? fresh()), downUntil: this.#now() + config.downForMs };
      const carrier = this.deps.carrierName(g);
      this.deps.metrics.gatewayMarkedDown.inc({ carrier, reason: 'call_failures' });
      this.deps.log.warn(
        { gateway: g.id, carrier, failures: count, downForMs: config.downForMs, callId },
        'gateway out of service: too many recent call failures',
      );
      await this.#write(g, v);
    } catch (err) {
      this.#stateError(err);
    }
  }

  async #write(g: Gateway, v: View): Promise<void> {
    this.#view.set(g.id, v);
    this.#publish(g, v);
    try {
      await this.deps.state.hashPut(HASH, g.id, JSON.stringify(v), HASH_TTL);
    } catch (err) {
      this.#stateError(err);
    }
  }

  #publish(g: Gateway, v: View): void {
    const up = !v.pingDown && v.downUntil <= this.#now();
    this.deps.metrics.gatewayUp.set(
      { carrier: this.deps.carrierName(g), gateway: `${g.host}:${g.port}` },
      up ? 1 : 0,
    );
  }

  #stateError(err: unknown): void {
    this.deps.metrics.stateErrors.inc({ guard: 'gateway_health' });
    this.deps.log.warn({ err: (err as Error).message }, 'gateway health: shared state unavailable');
  }
}
