// Changes to the routing plan (operators only): written with a control-plane audit record in one
// transaction, then every instance reloads its plan snapshot.
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/db.js';
import type { InvalidationBus } from '../cache/invalidation.js';
import { Errors } from '../platform/errors.js';
import { type Principal, actorName } from '../accounts/actor.js';
import { auditControl } from '../accounts/audit.repo.js';
import * as repo from './plan.repo.js';

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';
const isForeignKeyViolation = (err: unknown) => (err as { code?: string }).code === '23503';

export class PlanService {
  constructor(
    private readonly control: Db,
    private readonly bus: InvalidationBus,
  ) {}

  async #change<T>(
    by: Principal,
    action: string,
    resource: string,
    resourceId: string,
    fn: (q: Parameters<Parameters<Db['tx']>[0]>[0]) => Promise<T>,
  ): Promise<T> {
    let out: T;
    try {
      out = await this.control.tx(async (q) => {
        const r = await fn(q);
        await auditControl(q, { actor: actorName(by), action, resource, resourceId });
        return r;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Errors.conflict(`${resource} already exists`);
      if (isForeignKeyViolation(err)) throw Errors.notFound('carrier');
      throw err;
    }
    await this.bus.publish({ type: 'plan' });
    return out;
  }

  createCarrier(by: Principal, c: Omit<Parameters<typeof repo.insertCarrier>[1], 'id'>) {
    const id = randomUUID();
    return this.#change(by, 'carrier.create', 'carrier', id, (q) => repo.insertCarrier(q, { ...c, id }));
  }

  async getCarrier(id: string) {
    const c = await repo.findCarrier(this.control, id);
    if (!c) throw Errors.notFound('carrier');
    return c;
  }

  async updateCarrier(by: Principal, id: string, patch: Parameters<typeof repo.updateCarrier>[2]) {
    const c = await this.#change(by, 'carrier.update', 'carrier', id, (q) =>
      repo.updateCarrier(q, id, patch),
    );
    if (!c) throw Errors.notFound('carrier');
    return c;
  }

  async deleteCarrier(by: Principal, id: string) {
    const done = await this.#change(by, 'carrier.delete', 'carrier', id, (q) => repo.deleteCarrier(q, id));
    if (!done) throw Errors.notFound('carrier');
  }

  createGateway(
    by: Principal,
    g: Omit<repo.Gateway, 'id' | 'matchPort' | 'matchTransport'> &
      Partial<Pick<repo.Gateway, 'matchPort' | 'matchTransport'>>,
  ) {
    const id = randomUUID();
    return this.#change(by, 'gateway.create', 'gateway', id, (q) => repo.insertGateway(q, { ...g, id }));
  }

  async deleteGateway(by: Principal, carrierId: string, id: string) {
    const done = await this.#change(by, 'gateway.delete', 'gateway', id, (q) =>
      repo.deleteGateway(q, carrierId, id),
    );
    if (!done) throw Errors.notFound('gateway');
  }

  createRoute(by: Principal, r: Omit<repo.Route, 'id'>) {
    const id = randomUUID();
    return this.#change(by, 'route.create', 'route', id, (q) => repo.insertRoute(q, { ...r, id }));
  }

  setVoiceCountry(by: Principal, c: repo.VoiceCountry) {
    return this.#change(by, 'voice-country.set', 'voice-country', c.country, (q) =>
      repo.upsertVoiceCountry(q, c),
    );
  }

  async deleteVoiceCountry(by: Principal, country: string) {
    const done = await this.#change(by, 'voice-country.delete', 'voice-country', country, (q) =>
      repo.deleteVoiceCountry(q, country),
    );
    if (!done) throw Errors.notFound('voice country');
  }

  async deleteRoute(by: Principal, id: string) {
    const done = await this.#change(by, 'route.delete', 'route', id, (q) => repo.deleteRoute(q, id));
    if (!done) throw Errors.notFound('route');
  }
}
