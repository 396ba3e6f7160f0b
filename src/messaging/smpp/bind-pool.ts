// Every bind of every aggregator on this instance, and submission with failover between the binds of
// one aggregator: a bind that dies mid-flight hands its messages to the next bound bind (or to the
// same bind once it is back) within `waitMs`; after that the caller fails over to another aggregator.
import type { Logger } from 'pino';
import { Bind, BindLost, type BindOptions, type DeliverHandler } from './bind.js';

export class NoBindAvailable extends Error {
  constructor(carrierId: string) {
    super(`no bound SMPP bind for carrier ${carrierId}`);
  }
}

export interface Submitted {
  smscId: string;
  bind: Bind;
  /** A submit_sm was written on a bind that died before answering: the aggregator may hold a duplicate. */
  respLost: boolean;
}

export class BindPool {
  readonly #binds = new Map<string, Bind>();
  readonly #keys = new Map<string, string>();

  constructor(
    private readonly log: Logger,
    private readonly onDeliver: DeliverHandler,
    private readonly onNewBind: (bind: Bind) => void = () => {},
  ) {}

  get binds(): Bind[] {
    return [...this.#binds.values()];
  }

  bindsOf(carrierId: string): Bind[] {
    return this.binds.filter((b) => b.opts.carrierId === carrierId);
  }

  /** Makes the running binds match `wanted`: new ones start, changed ones restart, gone ones stop. */
  async sync(wanted: BindOptions[]): Promise<void> {
    const ids = new Set(wanted.map((w) => w.id));
    const stops: Promise<void>[] = [];
    for (const [id, bind] of this.#binds) {
      const w = wanted.find((x) => x.id === id);
      if (!ids.has(id) || (w && this.#keys.get(id) !== keyOf(w))) {
        this.#binds.delete(id);
        this.#keys.delete(id);
        stops.push(bind.stop());
      }
    }
    await Promise.all(stops);
    for (const w of wanted) {
      if (this.#binds.has(w.id)) continue;
      const bind = new Bind(w, this.log);
      bind.onDeliver = this.onDeliver;
      this.#binds.set(w.id, bind);
      this.#keys.set(w.id, keyOf(w));
      this.onNewBind(bind);
      bind.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.binds.map((b) => b.stop()));
    this.#binds.clear();
  }

  /**
   * Submits one PDU on a bound bind of `carrierId`, the least loaded first; a bind lost mid-flight
   * is retried on another (or the same, reconnected) until `waitMs` has passed.
   */
  async submit(carrierId: string, params: Record<string, unknown>, waitMs: number): Promise<Submitted> {
    const deadline = Date.now() + waitMs;
    let respLost = false;
    for (;;) {
      const candidates = this.bindsOf(carrierId)
        .filter((b) => b.canSubmit)
        .sort(
          (a, b) => (a.inflight + a.queued) / a.opts.windowSize - (b.inflight + b.queued) / b.opts.windowSize,
        );
      const bind = candidates[0];
      if (bind) {
        try {
          const smscId = await bind.submit(params);
          return { smscId, bind, respLost };
        } catch (err) {
          if (!(err instanceof BindLost)) throw err;
          respLost ||= err.written;
          if (Date.now() < deadline) continue;
          const e = new NoBindAvailable(carrierId);
          (e as NoBindAvailable & { respLost?: boolean }).respLost = respLost;
          throw e;
        }
      }
      if (Date.now() >= deadline) {
        const e = new NoBindAvailable(carrierId);
        (e as NoBindAvailable & { respLost?: boolean }).respLost = respLost;
        throw e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const keyOf = (o: BindOptions) =>
  JSON.stringify([o.host, o.port, o.tls, o.systemId, o.password, o.bindType, o.windowSize, o.maxMps]);
