// Every customer SIP trunk and verified caller ID, in memory on every instance: an INVITE from a
// customer may reach any instance, and recognising its trunk (source address, digest username) must
// not wait on a database. Trunks are few (thousands), so any change reloads the whole directory.
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RegionRouter } from '../store/region-router.js';
import type { Region } from '../config/index.js';
import { listTrunks, listCallerIds, type Trunk } from '../accounts/trunks.repo.js';
import { gauge, counter } from '../platform/metrics.js';
import type { InvalidationBus } from './invalidation.js';

const PAGE = 5000;

interface Snapshot {
  byId: Map<string, Trunk>;
  byUsername: Map<string, Trunk>;
  /** Exact addresses (the common case) → trunks allowing them. */
  byAddress: Map<string, Trunk[]>;
  /** CIDR ranges, checked in order after exact addresses. */
  ranges: { list: BlockList; trunk: Trunk }[];
  verified: Set<string>;
}

const empty = (): Snapshot => ({
  byId: new Map(),
  byUsername: new Map(),
  byAddress: new Map(),
  ranges: [],
  verified: new Set(),
});

/** Canonical text of an address (IPv4-mapped IPv6 as IPv4), so lookups and entries agree. */
export function canonicalAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export class TrunkDirectory {
  #snap: Snapshot = empty();
  #loading: Promise<void> = Promise.resolve();
  readonly #m;

  constructor(
    private readonly router: RegionRouter,
    bus: InvalidationBus,
    private readonly log: Logger,
    metrics: Registry,
  ) {
    this.#m = {
      size: gauge(metrics, 'cache_trunks', 'Customer SIP trunks held in the in-memory directory'),
      reloads: counter(metrics, 'cache_trunk_reloads_total', 'Trunk directory reloads'),
    };
    bus.on(async (inv) => {
      if (inv.type === 'trunk' || inv.type === 'caller-id' || inv.type === 'resync') await this.load();
    });
  }

  /** Loads (or reloads) everything; concurrent calls run one after another. */
  load(): Promise<void> {
    this.#loading = this.#loading.then(
      () => this.#load(),
      () => this.#load(),
    );
    return this.#loading;
  }

  async #load(): Promise<void> {
    const started = Date.now();
    const next = empty();
    for (const { db, regions } of this.router.distinctDatabases()) {
      let after: string | undefined;
      for (;;) {
        const page = await listTrunks(db, regions[0] as Region, { limit: PAGE, ...(after ? { after } : {}) });
        for (const t of page) {
          const region = (await this.router.regionOfCustomer(t.customerId)) ?? t.region;
          if (regions.includes(region)) this.#add(next, { ...t, region });
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1]?.id;
      }
      let cursor: { customerId: string; e164: string } | undefined;
      for (;;) {
        const page = await listCallerIds(db, { limit: PAGE, ...(cursor ? { after: cursor } : {}) });
        for (const c of page) next.verified.add(`${c.customerId}|${c.e164}`);
        if (page.length < PAGE) break;
        const last = page[page.length - 1];
        cursor = last ? { customerId: last.customerId, e164: last.e164 } : undefined;
      }
    }
    this.#snap = next;
    this.#m.size.set(next.byId.size);
    this.#m.reloads.inc();
    this.log.info({ trunks: next.byId.size, ms: Date.now() - started }, 'trunk directory loaded');
  }

  #add(s: Snapshot, t: Trunk): void {
    s.byId.set(t.id, t);
    if (t.status !== 'active') return;
    if (t.digestUsername) s.byUsername.set(t.digestUsername, t);
    for (const entry of t.allowedIps) {
      const [ip, bits] = entry.split('/');
      const family = isIP(ip ?? '');
      if (!family || !ip) continue;
      const max = family === 6 ? 128 : 32;
      if (bits === undefined || Number(bits) === max) {
        const key = canonicalAddress(ip);
        s.byAddress.set(key, [...(s.byAddress.get(key) ?? []), t]);
      } else {
        const list = new BlockList();
        list.addSubnet(ip, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
        s.ranges.push({ list, trunk: t });
      }
    }
  }

  get size(): number {
    return this.#snap.byId.size;
  }

  get(id: string): Trunk | undefined {
    return this.#snap.byId.get(id);
  }

  /** Active trunks allowing this source address (exact entries first, then ranges). */
  byAddress(address: string): Trunk[] {
    const a = canonicalAddress(address);
    const exact = this.#snap.byAddress.get(a) ?? [];
    if (this.#snap.ranges.length === 0) return exact;
    const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    const ranged = this.#snap.ranges.filter((r) => r.list.check(a, family)).map((r) => r.trunk);
    return ranged.length ? [...exact, ...ranged.filter((t) => !exact.includes(t))] : exact;
  }

  /** The active trunk with this digest username. */
  byUsername(username: string): Trunk | undefined {
    return this.#snap.byUsername.get(username);
  }

  isVerified(customerId: string, e164: string): boolean {
    return this.#snap.verified.has(`${customerId}|${e164}`);
  }
}
