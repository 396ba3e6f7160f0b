// The whole configuration: one schema, every key with a doc line and (except secrets) a default.
// Sections owned by a feature live next to it in ./sections/ and are composed here.
import { Type, type Static } from '@sinclair/typebox';
import { Section, Host, Port, Millis, RegionSchema, SecretRef, REGIONS } from './types.js';

const LogSection = Section('Logging (pino, JSON lines on stdout)', {
  level: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'minimum level written' },
  ),
});

const InstanceSection = Section('This daemon instance', {
  id: Type.String({
    default: '',
    description: 'instance id in logs, metrics and leases; empty means the host name',
  }),
  region: Type.Union(RegionSchema.anyOf, {
    default: 'NOAM',
    description: 'region of the cluster this instance runs in (one of ' + REGIONS.join(', ') + ')',
  }),
});

const ApiSection = Section('The HTTP side-API (also serves /healthz, /readyz, /metrics)', {
  host: Host('listen address', '127.0.0.1'),
  port: Port('listen port (0 picks a free port)', 8080),
  publicBaseUrl: Type.String({
    default: '',
    description: 'base URL customers reach the API on, for signed links; empty means http://host:port',
  }),
  bodyLimitBytes: Type.Integer({
    minimum: 1024,
    default: 1_048_576,
    description: 'largest accepted JSON body (bytes)',
  }),
  rateLimit: Type.Object(
    {
      max: Type.Integer({ minimum: 1, default: 50, description: 'requests allowed per key per window' }),
      windowMs: Millis('rate-limit window', 1000, 100),
    },
    { additionalProperties: false, default: {}, description: 'per-key rate limit, shared across instances' },
  ),
});

const DatabaseSchema = Type.Object(
  {
    url: SecretRef('PostgreSQL connection URL (postgres://user:pass@host:port/db)'),
    poolSize: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'connections in the pool' }),
    connectTimeoutMs: Millis('time allowed to open a connection', 5000, 100),
    statementTimeoutMs: Millis('server-side statement timeout', 15000, 100),
  },
  { additionalProperties: false },
);
export type DatabaseConfig = Static<typeof DatabaseSchema>;

const DatabasesSection = Section(
  'PostgreSQL per region plus the control plane. None configured: one embedded PGlite under embedded.dataDir',
  {
    control: Type.Optional(DatabaseSchema),
    regions: Type.Object(Object.fromEntries(REGIONS.map((r) => [r, Type.Optional(DatabaseSchema)])), {
      additionalProperties: false,
      default: {},
      description: 'one database per billing region; a region left out is not served by this deployment',
    }),
  },
);

const EmbeddedSection = Section('Embedded defaults used when no outside service is configured', {
  dataDir: Type.String({ default: './var', description: 'directory for PGlite, spool, keys and objects' }),
  seedDemo: Type.Boolean({
    default: true,
    description: 'seed a demo operator key, customer, carrier and number on first start',
  }),
});

const RedisSection = Section(
  'Shared state (Redis). No url: an in-process implementation (single instance only)',
  {
    url: Type.Optional(SecretRef('Redis URL (redis://[:password@]host:port/db)')),
    keyPrefix: Type.String({ default: 'rc:', description: 'prefix for every key and channel' }),
    commandTimeoutMs: Millis('time allowed for one command', 1000, 10),
  },
);

const RecordsSection = Section('The CDR/MDR writer: batches, spools when a database is down, replays', {
  batchMaxRows: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'rows per INSERT' }),
  flushIntervalMs: Millis('longest a record waits in memory before its batch is written', 25, 1),
  maxConcurrentFlushes: Type.Integer({
    minimum: 1,
    maximum: 16,
    default: 2,
    description: 'parallel INSERTs per region',
  }),
  spoolDir: Type.String({
    default: '',
    description: 'spool directory; empty means <embedded.dataDir>/spool',
  }),
  replayIntervalMs: Millis('how often a spooled region is probed and replayed', 1000, 50),
});

const EdgeSection = Section('The embedded drachtio-compatible SIP edge (the default SBC)', {
  enabled: Type.Boolean({ default: true, description: 'start the embedded edge in this process' }),
  sipHost: Host('SIP listen address', '127.0.0.1'),
  sipPort: Port('SIP listen port (UDP and TCP)', 5060),
  appHost: Host('app-protocol listen address', '127.0.0.1'),
  appPort: Port('app-protocol listen port (0 picks a free port)', 0),
});

const SbcSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: 'SBC name (metrics label)',
    }),
    host: Host('drachtio-server app-protocol address (mode connect)', '127.0.0.1'),
    port: Port('drachtio-server app-protocol port (mode connect)', 9022),
    secret: SecretRef('drachtio shared secret'),
    tls: Type.Boolean({ default: false, description: 'use TLS to the app port' }),
    mode: Type.Union([Type.Literal('connect'), Type.Literal('listen')], {
      default: 'connect',
      description:
        'connect: the daemon connects to drachtio; listen: drachtio connects to the daemon (outbound mode)',
    }),
    region: RegionSchema,
    colocation: Type.String({ minLength: 1, description: 'colocation name' }),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO country of the colocation' }),
  },
  { additionalProperties: false },
);
export type SbcConfig = Static<typeof SbcSchema>;

const CryptoSection = Section('Envelope encryption of content at rest', {
  keyProvider: Type.Union([Type.Literal('file')], {
    default: 'file',
    description:
      'where region keys come from: file (embedded); cloud KMS providers plug in behind the same interface',
  }),
  keyDir: Type.String({
    default: '',
    description: 'key directory for the file provider; empty means <embedded.dataDir>/keys',
  }),
  urlSigningKey: Type.Optional(
    SecretRef(
      'key (32+ bytes, base64) signing short-lived content links; shared by every instance. Generated under keyDir in the embedded default',
    ),
  ),
});

const ObjectsSection = Section('Object storage for recordings and media', {
  driver: Type.Union([Type.Literal('fs')], { default: 'fs', description: 'fs: files under dir' }),
  dir: Type.String({
    default: '',
    description: 'root for the fs driver; empty means <embedded.dataDir>/objects',
  }),
});

const ShutdownSection = Section('Graceful shutdown on SIGTERM', {
  graceMs: Millis('longest the daemon waits for in-flight work before exiting', 30_000, 0),
});

export const ConfigSchema = Type.Object(
  {
    instance: InstanceSection,
    log: LogSection,
    api: ApiSection,
    databases: DatabasesSection,
    embedded: EmbeddedSection,
    redis: RedisSection,
    records: RecordsSection,
    edge: EdgeSection,
    sbcs: Type.Array(SbcSchema, {
      default: [],
      description: 'drachtio-server SBCs (besides the embedded edge)',
    }),
    crypto: CryptoSection,
    objects: ObjectsSection,
    shutdown: ShutdownSection,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
