// The region router: the one component that decides which database a read or write of customer data
// goes to. Customer data lives only in the customer's billing-region database; the control plane
// holds the directory (customer id -> region) and the number index (E.164 -> owner and region).
// Nothing else in the daemon holds a regional Db: callers ask this router for one.
import type { Region } from '../config/index.js';
import { REGIONS } from '../config/index.js';
import { AppError, Errors } from '../platform/errors.js';
import type { Db } from './db.js';

export interface NumberOwner {
  customerId: string;
  region: Region;
}

export class RegionRouter {
  // A customer's region never changes once created (moving one is a migration procedure, not an
  // update), so the directory cache needs no expiry; deletions evict explicitly.
  readonly #customerRegion = new Map<string, Region>();
  readonly #lookups = new Map<string, Promise<Region | undefined>>();

  constructor(
    readonly control: Db,
    private readonly regions: ReadonlyMap<Region, Db>,
  ) {}

  served(): Region[] {
    return REGIONS.filter((r) => this.regions.has(r));
  }

  isServed(region: Region): boolean {
    return this.regions.has(region);
  }

  /** The database of one region; a region this deployment does not serve is a client error. */
  region(region: Region): Db {
    const db = this.regions.get(region);
    if (!db)
      throw new AppError('REGION_NOT_SERVED', 400, `region ${region} is not served by this deployment`);
    return db;
  }

  /** Distinct region databases (the embedded default maps all regions onto one). */
  distinctDatabases(): { regions: Region[]; db: Db }[] {
    const byDb = new Map<string, { db: Db; regions: Region[] }>();
    for (const r of this.served()) {
      const db = this.regions.get(r) as Db;
      const entry = byDb.get(db.physicalId) ?? { db, regions: [] };
      entry.regions.push(r);
      byDb.set(db.physicalId, entry);
    }
    return [...byDb.values()];
  }

  /** Loads the whole directory (ids and regions only: small even for a million customers). */
  async loadDirectory(): Promise<number> {
    const { rows } = await this.control.query<{ customer_id: string; region: Region }>(
      'SELECT customer_id, region FROM customer_directory',
    );
    for (const r of rows) this.#customerRegion.set(r.customer_id, r.region);
    return rows.length;
  }

  /** Synchronous when the customer is known (the hot path); one shared lookup per unknown customer. */
  regionOfCustomer(customerId: string): Promise<Region | undefined> {
    const cached = this.#customerRegion.get(customerId);
    if (cached) return Promise.resolve(cached);
    let lookup = this.#lookups.get(customerId);
    if (!lookup) {
      lookup = this.control
        .query<{ region: Region }>('SELECT region FROM customer_directory WHERE customer_id = $1', [
          customerId,
        ])
        .then(({ rows }) => {
          const region = rows[0]?.region;
          if (region) this.#customerRegion.set(customerId, region);
          return region;
        })
        .finally(() => this.#lookups.delete(customerId));
      this.#lookups.set(customerId, lookup);
    }
    return lookup;
  }

  /** The database holding a customer's data; unknown customers are 404. */
  async forCustomer(customerId: string): Promise<{ region: Region; db: Db }> {
    const region = await this.regionOfCustomer(customerId);
    if (!region) throw Errors.notFound('customer');
    return { region, db: this.region(region) };
  }

  rememberCustomer(customerId: string, region: Region): void {
    this.#customerRegion.set(customerId, region);
  }

  forgetCustomer(customerId: string): void {
    this.#customerRegion.delete(customerId);
  }

  async ownerOfNumber(e164: string): Promise<NumberOwner | undefined> {
    const { rows } = await this.control.query<{ customer_id: string; region: Region }>(
      'SELECT customer_id, region FROM number_index WHERE e164 = $1',
      [e164],
    );
    const row = rows[0];
    return row ? { customerId: row.customer_id, region: row.region } : undefined;
  }
}
