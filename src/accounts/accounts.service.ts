// Customers, their API keys and their numbers. Every change is written to the customer's region with
// its audit record in one transaction, the control-plane indexes are kept in step, and caches on
// every instance are told. Where two databases are involved the control-plane claim comes first and
// is undone if the regional write fails, so an index entry never points at nothing for long.
import { randomUUID } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Region } from '../config/index.js';
import type { RegionRouter } from '../store/region-router.js';
import type { InvalidationBus } from '../cache/invalidation.js';
import { AppError, Errors } from '../platform/errors.js';
import { type Principal, actorName } from './actor.js';
import { auditControl, auditCustomer } from './audit.repo.js';
import * as customers from './customers.repo.js';
import * as keys from './api-keys.repo.js';
import * as numbers from './numbers.repo.js';
import { hashSecret, newApiKey } from './api-key.js';
import type { NumberEntry } from './number-settings.js';
import type { Envelope } from '../crypto/index.js';
import { TrunksService } from './trunks.service.js';

export interface AccountsDeps {
  router: RegionRouter;
  bus: InvalidationBus;
  /** Seals SIP trunk digest credentials; without it trunks cannot be managed. */
  envelope?: Envelope;
  /** Digest realm of customer trunks (voice.digest.realm). */
  digestRealm?: string;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

export class AccountsService {
  #trunks: TrunksService | undefined;

  constructor(private readonly deps: AccountsDeps) {}

  /** Customer SIP trunks and verified caller IDs. */
  get trunks(): TrunksService {
    if (!this.#trunks) {
      const { envelope, digestRealm, router, bus } = this.deps;
      if (!envelope || !digestRealm) throw new Error('AccountsService: trunks need envelope and digestRealm');
      this.#trunks = new TrunksService({ router, bus, envelope, realm: digestRealm });
    }
    return this.#trunks;
  }

  // --- customers -------------------------------------------------------------------------------

  async createCustomer(by: Principal, input: { name: string; region: Region }): Promise<customers.Customer> {
    const { router } = this.deps;
    const db = router.region(input.region);
    const id = randomUUID();
    await router.control.query('INSERT INTO customer_directory (customer_id, region) VALUES ($1, $2)', [
      id,
      input.region,
    ]);
    try {
      const customer = await db.tx(async (q) => {
        const c = await customers.insertCustomer(q, { id, name: input.name, region: input.region });
        await auditCustomer(q, id, {
          actor: actorName(by),
          action: 'customer.create',
          resource: 'customer',
          resourceId: id,
          details: { region: input.region },
        });
        return c;
      });
      router.rememberCustomer(id, input.region);
      return customer;
    } catch (err) {
      await router.control
        .query('DELETE FROM customer_directory WHERE customer_id = $1', [id])
        .catch(() => undefined);
      throw err;
    }
  }

  async getCustomer(id: string): Promise<customers.Customer> {
    const { db } = await this.deps.router.forCustomer(id);
    const c = await customers.findCustomer(db, id);
    if (!c) throw Errors.notFound('customer');
    return c;
  }

  /** Pages through every served region in turn; the cursor is "<region>:<last id>". */
  async listCustomers(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ items: customers.Customer[]; next?: string }> {
    const served = this.deps.router.served();
    let [region, after] = cursor ? (cursor.split(':') as [Region, string]) : [served[0], undefined];
    const items: customers.Customer[] = [];
    while (region && items.length < limit) {
      const page = await customers.listCustomers(
        this.deps.router.region(region),
        after,
        limit - items.length,
      );
      items.push(...page);
      if (items.length >= limit) {
        const last = page[page.length - 1];
        return { items, ...(last ? { next: `${region}:${last.id}` } : {}) };
      }
      region = served[served.indexOf(region) + 1];
      after = undefined;
    }
    return { items };
  }

  async updateCustomer(
    by: Principal,
    id: string,
    patch: { name?: string; status?: customers.CustomerStatus },
  ) {
    const { db } = await this.deps.router.forCustomer(id);
    const c = await db.tx(async (q) => {
      const updated = await customers.updateCustomer(q, id, patch);
      if (updated)
        await auditCustomer(q, id, {
          actor: actorName(by),
          action: 'customer.update',
          resource: 'customer',
          resourceId: id,
          details: { fields: Object.keys(patch) },
        });
      return updated;
    });
    if (!c) throw Errors.notFound('customer');
    await this.deps.bus.publish({ type: 'customer', id });
    return c;
  }

  // --- API keys ---------------------------------------------------------------------------------

  async createCustomerKey(by: Principal, customerId: string, name: string) {
    const { region, db } = await this.deps.router.forCustomer(customerId);
    const key = newApiKey({ kind: 'customer', region });
    const secretHash = await hashSecret(key.secret);
    const stored = await db.tx(async (q) => {
      const k = await keys.insertKey(q, 'api_keys', { id: key.id, name, secretHash, customerId });
      await auditCustomer(q, customerId, {
        actor: actorName(by),
        action: 'api-key.create',
        resource: 'api-key',
        resourceId: key.id,
      });
      return k;
    });
    return { stored, token: key.token };
  }

  async listCustomerKeys(customerId: string) {
    const { db } = await this.deps.router.forCustomer(customerId);
    return keys.listKeys(db, 'api_keys', customerId);
  }

  async revokeCustomerKey(by: Principal, customerId: string, keyId: string): Promise<void> {
    const { db } = await this.deps.router.forCustomer(customerId);
    const revoked = await db.tx(async (q) => {
      const k = await keys.findKey(q, 'api_keys', keyId);
      if (!k || k.customerId !== customerId) return false;
      const done = await keys.revokeKey(q, 'api_keys', keyId);
      if (done)
        await auditCustomer(q, customerId, {
          actor: actorName(by),
          action: 'api-key.revoke',
          resource: 'api-key',
          resourceId: keyId,
        });
      return done;
    });
    if (!revoked) throw Errors.notFound('api key');
    await this.deps.bus.publish({ type: 'api-key', id: keyId });
  }

  async createOperatorKey(by: Principal, name: string) {
    const key = newApiKey({ kind: 'operator' });
    const secretHash = await hashSecret(key.secret);
    const stored = await this.deps.router.control.tx(async (q) => {
      const k = await keys.insertKey(q, 'operator_keys', { id: key.id, name, secretHash });
      await auditControl(q, {
        actor: actorName(by),
        action: 'operator-key.create',
        resource: 'operator-key',
        resourceId: key.id,
      });
      return k;
    });
    return { stored, token: key.token };
  }

  async listOperatorKeys() {
    return keys.listKeys(this.deps.router.control, 'operator_keys');
  }

  async revokeOperatorKey(by: Principal, keyId: string): Promise<void> {
    const revoked = await this.deps.router.control.tx(async (q) => {
      const done = await keys.revokeKey(q, 'operator_keys', keyId);
      if (done)
        await auditControl(q, {
          actor: actorName(by),
          action: 'operator-key.revoke',
          resource: 'operator-key',
          resourceId: keyId,
        });
      return done;
    });
    if (!revoked) throw Errors.notFound('operator key');
    await this.deps.bus.publish({ type: 'api-key', id: keyId });
  }

  // --- numbers ----------------------------------------------------------------------------------

  async createNumber(
    by: Principal,
    customerId: string,
    input: Omit<numbers.NumberFields, 'customerId' | 'country'> & { country?: string },
  ): Promise<numbers.NumberRecord> {
    const { router } = this.deps;
    const { region, db } = await router.forCustomer(customerId);
    const country = input.country ?? countryOf(input.e164);
    try {
      await router.control.query('INSERT INTO number_index (e164, customer_id, region) VALUES ($1, $2, $3)', [
        input.e164,
        customerId,
        region,
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw Errors.conflict(`number ${input.e164} already has an owner`);
      throw err;
    }
    let created: numbers.NumberRecord;
    try {
      created = await db.tx(async (q) => {
        const n = await numbers.insertNumber(q, { ...input, country, customerId }, region);
        await auditCustomer(q, customerId, {
          actor: actorName(by),
          action: 'number.create',
          resource: 'number',
          resourceId: input.e164,
        });
        return n;
      });
    } catch (err) {
      await router.control
        .query('DELETE FROM number_index WHERE e164 = $1', [input.e164])
        .catch(() => undefined);
      throw err;
    }
    await this.deps.bus.publish({ type: 'number', e164: input.e164 });
    return created;
  }

  /** A number as seen by `customerId`; another customer's number is 404, not 403 (no existence leak). */
  async getNumber(customerId: string | undefined, e164: string): Promise<numbers.NumberRecord> {
    const owner = await this.deps.router.ownerOfNumber(e164);
    if (!owner || (customerId && owner.customerId !== customerId)) throw Errors.notFound('number');
    const n = await numbers.findNumber(this.deps.router.region(owner.region), e164, owner.region);
    if (!n) throw Errors.notFound('number');
    return n;
  }

  async listNumbers(customerId: string, after: string | undefined, limit: number) {
    const { region, db } = await this.deps.router.forCustomer(customerId);
    return numbers.listNumbers(db, region, { customerId, limit, ...(after ? { after } : {}) });
  }

  async updateNumber(
    by: Principal,
    customerId: string | undefined,
    e164: string,
    patch: Partial<Pick<NumberEntry, 'status' | 'voice' | 'messaging' | 'recording' | 'retention'>>,
  ): Promise<numbers.NumberRecord> {
    const current = await this.getNumber(customerId, e164);
    const db = this.deps.router.region(current.region);
    const updated = await db.tx(async (q) => {
      const n = await numbers.updateNumber(q, e164, current.region, patch);
      await auditCustomer(q, current.customerId, {
        actor: actorName(by),
        action: 'number.update',
        resource: 'number',
        resourceId: e164,
        details: { fields: Object.keys(patch) },
      });
      return n;
    });
    if (!updated) throw Errors.notFound('number');
    await this.deps.bus.publish({ type: 'number', e164 });
    return updated;
  }

  async deleteNumber(by: Principal, customerId: string | undefined, e164: string): Promise<void> {
    const current = await this.getNumber(customerId, e164);
    await this.deps.router.region(current.region).tx(async (q) => {
      await numbers.deleteNumber(q, e164);
      await auditCustomer(q, current.customerId, {
        actor: actorName(by),
        action: 'number.delete',
        resource: 'number',
        resourceId: e164,
      });
    });
    await this.deps.router.control.query('DELETE FROM number_index WHERE e164 = $1', [e164]);
    await this.deps.bus.publish({ type: 'number', e164 });
  }
}

export function countryOf(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed?.country) {
    throw new AppError(
      'NUMBER_COUNTRY_UNKNOWN',
      400,
      `cannot tell the country of ${e164}; give "country" explicitly`,
    );
  }
  return parsed.country;
}
