// Customer SIP trunks and verified caller IDs. Each change is written with its audit record in the
// customer's region and announced, so the trunk directory on every instance reloads it. Digest
// passwords are generated (or given), shown once, and only their sealed HA1s are stored.
import { randomUUID } from 'node:crypto';
import type { RegionRouter } from '../store/region-router.js';
import type { InvalidationBus } from '../cache/invalidation.js';
import type { Envelope } from '../crypto/index.js';
import { Errors } from '../platform/errors.js';
import { type Principal, actorName } from './actor.js';
import { auditCustomer } from './audit.repo.js';
import * as repo from './trunks.repo.js';
import type { CallerIdPolicy, TrunkSettings } from './trunk-settings.js';
import { trunkSettingsOf } from './trunk-settings.js';
import { computeHa1, newDigestUsername, newPassword, sealHa1 } from './sip-credentials.js';

export interface TrunksDeps {
  router: RegionRouter;
  bus: InvalidationBus;
  envelope: Envelope;
  /** Digest realm the HA1s are computed for (voice.digest.realm). */
  realm: string;
}

export interface TrunkInput {
  name: string;
  allowedIps?: string[];
  /** true: generate a digest username and password; { password }: use this password. */
  digest?: boolean | { password: string };
  maxConcurrent?: number | null;
  maxCps?: number | null;
  maxExpensivePerHour?: number | null;
  callerIdPolicy?: CallerIdPolicy;
  settings?: Partial<TrunkSettings>;
}

/** Credentials shown once, when created or rotated. */
export interface DigestCredentials {
  username: string;
  realm: string;
  password: string;
}

export class TrunksService {
  constructor(private readonly deps: TrunksDeps) {}

  async #credentials(region: string, trunkId: string, password?: string) {
    const username = newDigestUsername();
    const pw = password ?? newPassword();
    const ha1Enc = await sealHa1(
      this.deps.envelope,
      region,
      trunkId,
      computeHa1(username, this.deps.realm, pw),
    );
    return {
      stored: { username, realm: this.deps.realm, ha1Enc },
      shown: { username, realm: this.deps.realm, password: pw },
    };
  }

  async create(
    by: Principal,
    customerId: string,
    input: TrunkInput,
  ): Promise<{ trunk: repo.Trunk; credentials?: DigestCredentials }> {
    const { region, db } = await this.deps.router.forCustomer(customerId);
    const allowedIps = input.allowedIps ?? [];
    if (!input.digest && allowedIps.length === 0)
      throw Errors.validation('a trunk needs allowedIps, digest credentials or both');
    const id = randomUUID();
    const creds = input.digest
      ? await this.#credentials(
          region,
          id,
          typeof input.digest === 'object' ? input.digest.password : undefined,
        )
      : undefined;
    const trunk = await db.tx(async (q) => {
      const t = await repo.insertTrunk(
        q,
        {
          id,
          customerId,
          name: input.name,
          status: 'active',
          allowedIps,
          digestUsername: creds?.stored.username ?? null,
          digestRealm: creds?.stored.realm ?? null,
          digestHa1Enc: creds?.stored.ha1Enc ?? null,
          maxConcurrent: input.maxConcurrent ?? null,
          maxCps: input.maxCps ?? null,
          maxExpensivePerHour: input.maxExpensivePerHour ?? null,
          callerIdPolicy: input.callerIdPolicy ?? 'withhold',
          settings: trunkSettingsOf(input.settings),
        },
        region,
      );
      await auditCustomer(q, customerId, {
        actor: actorName(by),
        action: 'trunk.create',
        resource: 'trunk',
        resourceId: id,
        details: { digest: Boolean(creds), allowedIps: allowedIps.length },
      });
      return t;
    });
    await this.deps.bus.publish({ type: 'trunk', id });
    return { trunk, ...(creds ? { credentials: creds.shown } : {}) };
  }

  /** A trunk as seen by `customerId` (undefined: operator); another customer's trunk is 404. */
  async get(customerId: string | undefined, id: string): Promise<repo.Trunk> {
    const found = await this.#find(id);
    if (!found || (customerId && found.customerId !== customerId)) throw Errors.notFound('trunk');
    return found;
  }

  async #find(id: string): Promise<repo.Trunk | undefined> {
    for (const { db, regions } of this.deps.router.distinctDatabases()) {
      const t = await repo.findTrunk(db, id, regions[0] as repo.Trunk['region']);
      if (t) {
        const region = (await this.deps.router.regionOfCustomer(t.customerId)) ?? t.region;
        return { ...t, region };
      }
    }
    return undefined;
  }

  async list(customerId: string, after: string | undefined, limit: number) {
    const { region, db } = await this.deps.router.forCustomer(customerId);
    return repo.listTrunks(db, region, { customerId, limit, ...(after ? { after } : {}) });
  }

  async update(
    by: Principal,
    customerId: string | undefined,
    id: string,
    patch: Omit<repo.TrunkPatch, 'digest' | 'settings'> & { settings?: Partial<TrunkSettings> },
  ): Promise<repo.Trunk> {
    const current = await this.get(customerId, id);
    const { settings, ...rest } = patch;
    const full: repo.TrunkPatch = {
      ...rest,
      ...(settings ? { settings: trunkSettingsOf({ ...current.settings, ...settings }) } : {}),
    };
    if (full.allowedIps && full.allowedIps.length === 0 && !current.digestUsername)
      throw Errors.validation('a trunk without digest credentials needs allowedIps');
    return this.#write(by, current, 'trunk.update', full, { fields: Object.keys(patch) });
  }

  /** New digest credentials (the old ones stop working at once); `false` removes digest auth. */
  async rotateCredentials(
    by: Principal,
    customerId: string | undefined,
    id: string,
    password?: string | false,
  ): Promise<{ trunk: repo.Trunk; credentials?: DigestCredentials }> {
    const current = await this.get(customerId, id);
    if (password === false) {
      if (current.allowedIps.length === 0)
        throw Errors.validation('a trunk without allowedIps needs digest credentials');
      const trunk = await this.#write(by, current, 'trunk.credentials.remove', { digest: null }, {});
      return { trunk };
    }
    const creds = await this.#credentials(current.region, id, password);
    const trunk = await this.#write(by, current, 'trunk.credentials.rotate', { digest: creds.stored }, {});
    return { trunk, credentials: creds.shown };
  }

  async #write(
    by: Principal,
    current: repo.Trunk,
    action: string,
    patch: repo.TrunkPatch,
    details: Record<string, unknown>,
  ): Promise<repo.Trunk> {
    const db = this.deps.router.region(current.region);
    const updated = await db.tx(async (q) => {
      const t = await repo.updateTrunk(q, current.id, current.region, patch);
      await auditCustomer(q, current.customerId, {
        actor: actorName(by),
        action,
        resource: 'trunk',
        resourceId: current.id,
        details,
      });
      return t;
    });
    if (!updated) throw Errors.notFound('trunk');
    await this.deps.bus.publish({ type: 'trunk', id: current.id });
    return updated;
  }

  async delete(by: Principal, customerId: string | undefined, id: string): Promise<void> {
    const current = await this.get(customerId, id);
    await this.deps.router.region(current.region).tx(async (q) => {
      await repo.deleteTrunk(q, id);
      await auditCustomer(q, current.customerId, {
        actor: actorName(by),
        action: 'trunk.delete',
        resource: 'trunk',
        resourceId: id,
      });
    });
    await this.deps.bus.publish({ type: 'trunk', id });
  }

  // --- verified caller IDs (set by operators after out-of-band verification) ---------------------

  async addCallerId(by: Principal, customerId: string, e164: string) {
    const { db } = await this.deps.router.forCustomer(customerId);
    const row = await db.tx(async (q) => {
      const r = await repo.insertCallerId(q, customerId, e164);
      await auditCustomer(q, customerId, {
        actor: actorName(by),
        action: 'caller-id.verify',
        resource: 'caller-id',
        resourceId: e164,
      });
      return r;
    });
    await this.deps.bus.publish({ type: 'caller-id', customerId });
    return row;
  }

  async listCallerIds(customerId: string) {
    const { db } = await this.deps.router.forCustomer(customerId);
    return repo.listCallerIds(db, { customerId, limit: 10_000 });
  }

  async removeCallerId(by: Principal, customerId: string, e164: string) {
    const { db } = await this.deps.router.forCustomer(customerId);
    const done = await db.tx(async (q) => {
      const d = await repo.deleteCallerId(q, customerId, e164);
      if (d)
        await auditCustomer(q, customerId, {
          actor: actorName(by),
          action: 'caller-id.remove',
          resource: 'caller-id',
          resourceId: e164,
        });
      return d;
    });
    if (!done) throw Errors.notFound('caller id');
    await this.deps.bus.publish({ type: 'caller-id', customerId });
  }
}
