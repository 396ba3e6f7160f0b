// A feature (voice, messaging, recording, retention, the embedded edge) plugs into the daemon through
// one call: start(ctx) gets every shared dependency, registers its own health checks and stop steps
// on ctx, and returns the API route groups it serves. app.ts lists the features in start order.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config/index.js';
import type { Health } from './platform/health.js';
import type { Lifecycle } from './platform/lifecycle.js';
import type { Stores } from './store/stores.js';
import type { SharedState } from './state/index.js';
import type { InvalidationBus } from './cache/invalidation.js';
import type { NumberCache } from './cache/number-cache.js';
import type { PlanCache } from './plan/plan-cache.js';
import type { RecordsWriter } from './records/index.js';
import type { Envelope, UrlSigner } from './crypto/index.js';
import type { ObjectStore } from './objects/index.js';
import type { AccountsService } from './accounts/accounts.service.js';
import type { ApiModule } from './api/types.js';

export interface FeatureContext {
  config: Config;
  log: Logger;
  metrics: Registry;
  health: Health;
  lifecycle: Lifecycle;
  stores: Stores;
  state: SharedState;
  bus: InvalidationBus;
  numbers: NumberCache;
  plan: PlanCache;
  records: RecordsWriter;
  envelope: Envelope;
  objects: ObjectStore;
  signer: UrlSigner;
  accounts: AccountsService;
  /** Absolute data directory (embedded defaults: spool, keys, objects). */
  dataDir: string;
  /**
   * Services one feature offers another (e.g. recording provides 'mediaAnchor', voice provides
   * 'calls'). A feature provides while starting; a consumer looks up lazily (at call time), so the
   * start order only matters for what is needed during start().
   */
  provide<T>(name: string, service: T): void;
  lookup<T>(name: string): T | undefined;
}

export interface FeatureHandle {
  apiModules?: ApiModule[];
}

export interface Feature {
  name: string;
  start(ctx: FeatureContext): Promise<FeatureHandle>;
}
