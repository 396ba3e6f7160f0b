// The whole configuration: one schema, every key with a doc line and (except secrets) a default.
// Sections owned by a feature live next to it in ./sections/ and are composed here.
import { Type, type Static } from '@sinclair/typebox';
import { Section, Host, Port, Millis, RegionSchema, SecretRef, REGIONS } from './types.js';
import { MediaSection } from './sections/media.js';
import { SbcsSection } from './sections/sbc.js';
import { CallsSection } from './sections/calls.js';
import { VoiceSection } from './sections/voice.js';
import { MessagingSection } from './sections/messaging.js';

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

const CryptoSection = Section('Envelope encryption of content at rest', {
  keyProvider: Type.Union([Type.Literal('file'), Type.Literal('aws-kms')], {
    default: 'file',
    description:
      'where region keys come from: file (key files under keyDir; the embedded default) or aws-kms (AWS KMS keys named by alias)',
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
  awsKms: Type.Object(
    {
      region: Type.String({
        default: 'us-east-1',
        description: 'AWS region of the KMS keys of rings not in ringRegions',
      }),
      ringRegions: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), Type.String({ minLength: 1 }), {
        default: {},
        description:
          "AWS region per key ring, e.g. { EURO: eu-central-1, NOAM: us-east-1 }: each region's key stays in that region",
      }),
      endpoint: Type.String({
        default: '',
        description: "KMS endpoint URL; empty means AWS's own (set for VPC endpoints and tests)",
      }),
      aliasPrefix: Type.String({
        default: 'alias/routing-core/',
        pattern: '^alias/',
        description: 'key versions are the aliases <aliasPrefix><ring>/v<N>; the highest N is current',
      }),
      accessKeyId: Type.Optional(
        SecretRef('AWS access key id; absent means the default credential chain (IRSA, instance role)'),
      ),
      secretAccessKey: Type.Optional(SecretRef('AWS secret access key, with accessKeyId')),
      versionsTtlMs: Millis("how long a ring's version list is cached before KMS is asked again", 60_000, 0),
    },
    { additionalProperties: false, default: {}, description: 'the aws-kms key provider' },
  ),
});

const S3RegionSchema = Type.Object(
  {
    bucket: Type.String({ minLength: 3, description: "bucket holding this region's objects" }),
    prefix: Type.String({
      default: '',
      description: 'key prefix inside the bucket (e.g. "euro/"); may be empty',
    }),
    awsRegion: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'signing region of the bucket; default objects.s3.awsRegion',
      }),
    ),
    endpoint: Type.Optional(
      Type.String({ description: 'endpoint URL for this bucket; default objects.s3.endpoint' }),
    ),
  },
  { additionalProperties: false },
);

const ObjectsSection = Section(
  'Object storage for recordings, media and cold exports (one bucket or prefix per region)',
  {
    driver: Type.Union([Type.Literal('fs'), Type.Literal('s3')], {
      default: 'fs',
      description:
        'fs: files under dir; s3: an S3-compatible service (AWS S3, GCS and OCI through their S3 endpoints)',
    }),
    dir: Type.String({
      default: '',
      description: 'root for the fs driver; empty means <embedded.dataDir>/objects',
    }),
    s3: Type.Object(
      {
        endpoint: Type.String({
          default: '',
          description:
            'endpoint URL; empty means AWS S3. GCS: https://storage.googleapis.com; OCI: https://<namespace>.compat.objectstorage.<region>.oraclecloud.com',
        }),
        awsRegion: Type.String({
          default: 'us-east-1',
          description: 'signing region (GCS: auto; OCI: the OCI region)',
        }),
        forcePathStyle: Type.Boolean({
          default: true,
          description: 'path-style URLs (endpoint/bucket/key), needed by most S3-compatible services',
        }),
        bucket: Type.String({
          default: '',
          description:
            'shared bucket for regions not listed in regions; their keys are prefixed with "<prefix><REGION>/"',
        }),
        prefix: Type.String({
          default: '',
          description: 'prefix before the region name in the shared bucket',
        }),
        regions: Type.Object(Object.fromEntries(REGIONS.map((r) => [r, Type.Optional(S3RegionSchema)])), {
          additionalProperties: false,
          default: {},
          description:
            'a bucket (and optional prefix, region, endpoint) per billing region; data stays in its region',
        }),
        accessKeyId: Type.Optional(SecretRef('access key id; absent means the default AWS credential chain')),
        secretAccessKey: Type.Optional(SecretRef('secret access key, with accessKeyId')),
        partSizeBytes: Type.Integer({
          minimum: 5 * 1024 * 1024,
          default: 8 * 1024 * 1024,
          description: 'part size of multipart uploads of streamed objects (S3 minimum 5 MiB)',
        }),
      },
      { additionalProperties: false, default: {}, description: 'the s3 driver' },
    ),
  },
);

const CountryRecordsSchema = Type.Object(
  {
    country: Type.String({
      pattern: '^[A-Z]{2}$',
      description: 'ISO country of the number (called for inbound, calling for outbound)',
    }),
    months: Type.Integer({
      minimum: 1,
      maximum: 240,
      description:
        'months records of this country are kept in all; beyond onlineMonths they are kept in cold storage',
    }),
  },
  { additionalProperties: false },
);

const RetentionSection = Section(
  'Retention: the sweeper deleting expired content, record partitions, operational records',
  {
    enabled: Type.Boolean({
      default: true,
      description: 'run the sweeper on this instance (one per region runs at a time)',
    }),
    safetyBufferHours: Type.Integer({
      minimum: 0,
      maximum: 24 * 30,
      default: 24,
      description: 'added to every content expiry (the privacy policy\'s "brief safety buffer")',
    }),
    sweepIntervalMs: Millis('time between two sweeps of a region', 60_000, 1000),
    batchSize: Type.Integer({
      minimum: 1,
      maximum: 50_000,
      default: 2000,
      description: 'items marked and deleted per batch',
    }),
    deleteConcurrency: Type.Integer({
      minimum: 1,
      maximum: 512,
      default: 64,
      description: 'object deletions in flight at once',
    }),
    lockTtlMs: Millis("lease of a region's sweep lock; renewed after every batch", 120_000, 1000),
    partitionsAheadMonths: Type.Integer({
      minimum: 1,
      maximum: 24,
      default: 3,
      description: 'monthly CDR/MDR partitions created ahead of the current month',
    }),
    records: Type.Object(
      {
        onlineMonths: Type.Integer({
          minimum: 1,
          maximum: 120,
          default: 12,
          description: 'months CDRs/MDRs stay online; a partition is dropped once all its rows are older',
        }),
        countries: Type.Array(CountryRecordsSchema, {
          default: [],
          description:
            "countries whose regulation demands longer: before a partition is dropped, its rows of these countries are exported (compressed, encrypted) to the region's object store",
        }),
      },
      { additionalProperties: false, default: {}, description: 'CDR/MDR retention' },
    ),
    sipTraceDays: Type.Integer({
      minimum: 1,
      maximum: 90,
      default: 30,
      description: 'expiry given to new SIP traces (operational records: 30-90 days)',
    }),
    sipTraceMaxDays: Type.Integer({
      minimum: 1,
      maximum: 90,
      default: 90,
      description: 'SIP traces older than this are deleted whatever expiry they were given',
    }),
    auditLogDays: Type.Integer({
      minimum: 30,
      maximum: 3650,
      default: 365,
      description: 'days audit records (security events) are kept before the sweeper deletes them',
    }),
  },
);

const ContentSection = Section('Customer content controls in the API', {
  linkTtlSeconds: Type.Integer({
    minimum: 10,
    maximum: 86_400,
    default: 300,
    description: 'lifetime of a signed download link',
  }),
  exportPartRows: Type.Integer({
    minimum: 100,
    maximum: 1_000_000,
    default: 10_000,
    description: 'rows per NDJSON part file in a customer export (bounds memory per export)',
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
    sbcs: SbcsSection,
    calls: CallsSection,
    crypto: CryptoSection,
    objects: ObjectsSection,
    retention: RetentionSection,
    content: ContentSection,
    messaging: MessagingSection,
    media: MediaSection,
    shutdown: ShutdownSection,
    voice: VoiceSection,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
