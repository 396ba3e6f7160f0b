// The composition root: builds every dependency from the configuration and hands it to the
// factories that need it. main.ts calls startApp(); tests call it too, with their own config.
//
// Start order: logger and metrics → databases (migrated) → shared state → caches → records writer →
// crypto and objects → services → API. Stop order (lifecycle): stop intake → drain → flush records →
// close the API → close shared state and databases.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import { createLogger } from './platform/logger.js';
import { createRegistry, gauge } from './platform/metrics.js';
import { Health } from './platform/health.js';
import { Lifecycle } from './platform/lifecycle.js';
import { timed, sharedStateTimer, SHARED_STATE_METHODS } from './platform/timed.js';
import { openStores } from './store/stores.js';
import { openSharedState } from './state/index.js';
import { InvalidationBus } from './cache/invalidation.js';
import { NumberCache } from './cache/number-cache.js';
import { PlanCache } from './plan/plan-cache.js';
import { PlanService } from './plan/plan.service.js';
import { AccountsService } from './accounts/accounts.service.js';
import { RecordsWriter, CDR, MDR, SIP_TRACE } from './records/index.js';
import { Envelope, UrlSigner, createKeyProvider } from './crypto/index.js';
import { createObjectStore } from './objects/index.js';
import { Authenticator } from './api/authenticator.js';
import { buildApi } from './api/server.js';
import type { Api, ApiModule } from './api/types.js';
import { healthRoutes } from './api/routes/health.routes.js';
import { customersRoutes } from './api/routes/customers.routes.js';
import { numbersRoutes } from './api/routes/numbers.routes.js';
import { planRoutes } from './api/routes/plan.routes.js';
import { trunksRoutes } from './api/routes/trunks.routes.js';
import { seedDemo, type DemoSeed } from './demo/seed.js';
import type { Feature, FeatureContext } from './feature.js';
import { contentFeature } from './content/content.feature.js';
import { retentionFeature } from './retention/retention.feature.js';
import { recordingFeature } from './recording/recording.feature.js';
import { voiceFeature } from './voice/voice.feature.js';
import { messagingFeature } from './messaging/messaging.feature.js';
import { drainFeature } from './ops/drain.feature.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** A running daemon: every shared dependency its features got, plus what the composition root owns. */
export interface App extends Omit<FeatureContext, 'provide' | 'lookup' | 'dataDir'> {
  planService: PlanService;
  api: Api;
  apiUrl: string;
  demo?: DemoSeed;
  /** What each feature returned from start(), by feature name. */
  features: Record<string, unknown>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Embedded databases in memory instead of under dataDir (tests). */
  inMemory?: boolean;
  /** Where the demo banner goes; defaults to stderr. */
  print?: (text: string) => void;
  log?: Logger;
  /** Features to start; defaults to every feature the configuration enables. */
  features?: Feature[];
}

/** Every feature, in start order. */
export function defaultFeatures(_config: Config): Feature[] {
  return [drainFeature, contentFeature, retentionFeature, messagingFeature, recordingFeature, voiceFeature];
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger({ level: config.log.level, instance: config.instance.id });
  const metrics = createRegistry({ instance: config.instance.id });
  const health = new Health();
  const lifecycle = new Lifecycle(log);
  const dataDir = path.resolve(config.embedded.dataDir);
  mkdirSync(dataDir, { recursive: true });
  gauge(metrics, 'build_info', 'Always 1; labels say what runs', ['version', 'region']).set(
    { version: VERSION, region: config.instance.region },
    1,
  );

  const stores = await openStores({ config, log, metrics, ...(opts.inMemory ? { inMemory: true } : {}) });
  health.register('db:control', () => stores.control.ping());
  for (const { db, regions } of stores.router.distinctDatabases())
    health.register(`db:${regions.join('+')}`, () => db.ping());

  const rawState = await openSharedState(config, log);
  const state = timed(rawState, SHARED_STATE_METHODS, sharedStateTimer(metrics, rawState.backend));
  health.register(`shared-state:${state.backend}`, () => state.ping());

  const bus = new InvalidationBus(state, log.child({ component: 'cache' }));
  await bus.start();
  const numbers = new NumberCache(stores.router, bus, log.child({ component: 'cache' }), metrics);
  const plan = new PlanCache(stores.control, bus, log.child({ component: 'cache' }), metrics);
  await Promise.all([numbers.load(), plan.load()]);

  const records = new RecordsWriter({
    router: stores.router,
    kinds: [CDR, MDR, SIP_TRACE],
    spoolDir: config.records.spoolDir || path.join(dataDir, 'spool'),
    batchMaxRows: config.records.batchMaxRows,
    flushIntervalMs: config.records.flushIntervalMs,
    maxConcurrentFlushes: config.records.maxConcurrentFlushes,
    replayIntervalMs: config.records.replayIntervalMs,
    log,
    metrics,
  });
  await records.start();

  const keyDir = config.crypto.keyDir || path.join(dataDir, 'keys');
  const keyProvider = createKeyProvider(config.crypto, keyDir, stores.embedded);
  const envelope = new Envelope(keyProvider);
  const signer = new UrlSigner(urlSigningKey(config, keyDir, stores.embedded));
  const objects = createObjectStore(config.objects, dataDir);

  const accounts = new AccountsService({
    router: stores.router,
    bus,
    envelope,
    digestRealm: config.voice.digest.realm,
  });
  const planService = new PlanService(stores.control, bus);
  const authenticator = new Authenticator(stores.router, bus, metrics);
  const modules: ApiModule[] = [
    healthRoutes({ health, metrics }),
    customersRoutes(accounts),
    numbersRoutes(accounts),
    planRoutes(planService, plan),
    trunksRoutes(accounts.trunks),
  ];

  // Stop steps run in registration order within a phase: features register theirs while starting,
  // ahead of the shared ones below (their records must flush before the writer closes).
  lifecycle.onStop('intake', 'readiness', () => health.setDraining());
  const provided = new Map<string, unknown>();
  const ctx: FeatureContext = {
    config,
    log,
    metrics,
    health,
    lifecycle,
    stores,
    state,
    bus,
    numbers,
    plan,
    records,
    envelope,
    objects,
    signer,
    accounts,
    dataDir,
    provide: (name, service) => {
      if (provided.has(name)) throw new Error(`service ${name} provided twice`);
      provided.set(name, service);
    },
    lookup: <T>(name: string) => provided.get(name) as T | undefined,
  };
  const started: Record<string, unknown> = {};
  for (const feature of opts.features ?? defaultFeatures(config)) {
    const handle = await feature.start(ctx);
    started[feature.name] = handle;
    modules.push(...(handle.apiModules ?? []));
    log.info({ feature: feature.name }, 'feature started');
  }
  const api = await buildApi({ config: config.api, log, metrics, state, authenticator, modules });
  await api.listen({ host: config.api.host, port: config.api.port });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  const apiUrl = config.api.publicBaseUrl || `http://${config.api.host}:${port}`;
  log.info({ url: apiUrl }, 'side-API listening');

  let demo: DemoSeed | undefined;
  if (stores.embedded && config.embedded.seedDemo) {
    demo = await seedDemo({
      control: stores.control,
      accounts,
      plan: planService,
      dataDir,
      apiUrl,
      print: opts.print ?? ((text) => process.stderr.write(`\n${text}\n\n`)),
    });
  }

  lifecycle.onStop('flush', 'records', () => records.close());
  lifecycle.onStop('flush', 'api', () => api.close());
  lifecycle.onStop('flush', 'invalidation', () => bus.stop());
  lifecycle.onStop('flush', 'shared-state', () => state.close());
  lifecycle.onStop('flush', 'databases', () => stores.close());
  lifecycle.onStop('flush', 'storage-clients', () => {
    objects.close?.();
    keyProvider.close?.();
  });

  return {
    ...ctx,
    planService,
    api,
    apiUrl,
    ...(demo ? { demo } : {}),
    features: started,
    stop: () => lifecycle.stop(config.shutdown.graceMs),
  };
}

function urlSigningKey(config: Config, keyDir: string, embedded: boolean): Buffer {
  if (config.crypto.urlSigningKey) return Buffer.from(config.crypto.urlSigningKey.reveal(), 'base64');
  if (!embedded)
    throw new Error(
      'crypto.urlSigningKey is required when databases are configured (every instance must share it)',
    );
  const file = path.join(keyDir, 'url-signing.key');
  if (!existsSync(file)) {
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
