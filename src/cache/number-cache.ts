// Every number's routing settings, in memory on every instance: a call or a message for any
// customer's number may arrive at any instance, and its lookup must not wait on a database.
// Loaded from every served region at start; one number is reloaded when an invalidation names it;
// everything is reloaded after a resync.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RegionRouter } from '../store/region-router.js';
import type { NumberEntry } from '../accounts/number-settings.js';
import { listNumbers, findNumber } from '../accounts/numbers.repo.js';
import { gauge, counter } from '../platform/metrics.js';
import type { InvalidationBus } from './invalidation.js';

const PAGE = 10_000;

export class NumberCache {
  #numbers = new Map<string, NumberEntry>();
  readonly #m;

  constructor(
    private readonly router: RegionRouter,
    bus: InvalidationBus,
    private readonly log: Logger,
    metrics: Registry,
  ) {
    this.#m = {
      size: gauge(metrics, 'cache_numbers', 'Numbers held in the in-memory routing cache'),
      reloads: counter(metrics, 'cache_number_reloads_total', 'Numbers reloaded after an invalidation', [
        'reason',
      ]),
    };
    bus.on(async (inv) => {
      if (inv.type === 'number') await this.refresh(inv.e164);
      else if (inv.type === 'resync') await this.load();
    });
  }

  get(e164: string): NumberEntry | undefined {
    return this.#numbers.get(e164);
  }

  get size(): number {
    return this.#numbers.size;
  }

  /** Loads every number of every served region into a fresh map, then swaps it in. */
  async load(): Promise<void> {
    const started = Date.now();
    const next = new Map<string, NumberEntry>();
    for (const { db, regions } of this.router.distinctDatabases()) {
      // In the embedded default several regions share one database; a number's region is its
      // customer's billing region, read from the directory.
      let after: string | undefined;
      for (;;) {
        const page = await listNumbers(db, regions[0] as NumberEntry['region'], {
          limit: PAGE,
          ...(after ? { after } : {}),
        });
        for (const n of page) {
          const region = (await this.router.regionOfCustomer(n.customerId)) ?? n.region;
          if (!regions.includes(region)) continue;
          next.set(n.e164, entry({ ...n, region }));
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1]?.e164;
      }
    }
    this.#numbers = next;
    this.#m.size.set(next.size);
    this.#m.reloads.inc({ reason: 'full' });
    this.log.info({ numbers: next.size, ms: Date.now() - started }, 'number cache loaded');
  }

  /** Reloads one number from its owner's region (or drops it when it no longer exists). */
  async refresh(e164: string): Promise<void> {
    const owner = await this.router.ownerOfNumber(e164);
    const n = owner ? await findNumber(this.router.region(owner.region), e164, owner.region) : undefined;
    if (n) this.#numbers.set(e164, entry(n));
    else this.#numbers.delete(e164);
    this.#m.size.set(this.#numbers.size);
    this.#m.reloads.inc({ reason: 'invalidation' });
  }

  /** For bulk loads in benchmarks and tests of the routing path. */
  set(n: NumberEntry): void {
    this.#numbers.set(n.e164, n);
  }
}

function entry(n: NumberEntry): NumberEntry {
  return {
    e164: n.e164,
    customerId: n.customerId,
    region: n.region,
    country: n.country,
    status: n.status,
    voice: n.voice,
    messaging: n.messaging,
    recording: n.recording,
    retention: n.retention,
    version: n.version,
  };
}
