// The `voice` section: policy of the voice routing core (guards, limits, health, pinning). Per-carrier
// and per-trunk policy lives in the routing plan and the trunk records; these are the defaults and
// the deployment-wide lists.
import { Type, type Static } from '@sinclair/typebox';
import { Millis, Section } from '../types.js';

const Prefix = Type.String({ pattern: '^[0-9]{1,15}$', description: 'E.164 digits without +' });
const RejectCode = Type.Union([Type.Literal(486), Type.Literal(503)], {
  default: 503,
  description: 'SIP status for a refused call (486 Busy Here or 503 Service Unavailable)',
});

const RiskEntry = Type.Object(
  {
    prefix: Prefix,
    reason: Type.Union([Type.Literal('premium_rate'), Type.Literal('high_risk')], {
      description: 'premium_rate or high_risk (metric label)',
    }),
    action: Type.Union([Type.Literal('block'), Type.Literal('expensive')], {
      default: 'block',
      description: 'block: refused outright; expensive: allowed, counted by the spend-velocity limit',
    }),
  },
  { additionalProperties: false },
);

export const VoiceSection = Section('Voice routing core: guards, limits, gateway health, pinning', {
  scannerUserAgents: Type.Array(Type.String({ minLength: 2 }), {
    default: [
      'friendly-scanner',
      'sipvicious',
      'sipcli',
      'sip-scan',
      'sipsak',
      'iWar',
      'VaxSIPUserAgent',
      'sundayddr',
      'pplsip',
      'smap',
      'SIPScan',
    ],
    description: 'User-Agent substrings (case-insensitive) refused at once as scanners',
  }),
  riskPrefixes: Type.Array(RiskEntry, {
    default: [],
    description: 'destination risk list: premium-rate and high-risk prefixes',
  }),
  limits: Type.Object(
    {
      customerConcurrent: Type.Integer({
        minimum: 1,
        default: 100,
        description: 'concurrent calls per customer when its trunk sets none',
      }),
      customerCps: Type.Number({
        exclusiveMinimum: 0,
        default: 10,
        description: 'new calls per second per customer when its trunk sets none',
      }),
      expensivePerHour: Type.Integer({
        minimum: 0,
        default: 60,
        description: 'calls per hour to expensive prefixes per customer (spend velocity; 0 refuses them all)',
      }),
      rejectCode: RejectCode,
      leaseTtlMs: Millis(
        'lifetime of a concurrency lease; the call renews it, a dead instance lets it lapse',
        120_000,
        1000,
      ),
    },
    { additionalProperties: false, default: {}, description: 'per-customer and per-carrier limits' },
  ),
  sourceBlock: Type.Object(
    {
      failures: Type.Integer({
        minimum: 1,
        default: 10,
        description: 'auth failures from one source address within windowMs that block it',
      }),
      windowMs: Millis('window counting auth failures', 60_000, 1000),
      blockMs: Millis('how long a source address stays blocked', 600_000, 1000),
    },
    {
      additionalProperties: false,
      default: {},
      description: 'blocking of sources with repeated auth failures',
    },
  ),
  digest: Type.Object(
    {
      realm: Type.String({
        minLength: 1,
        default: 'sip.routing-core',
        description: 'digest realm of customer trunks',
      }),
      nonceTtlMs: Millis('lifetime of a digest nonce (single use)', 30_000, 1000),
    },
    { additionalProperties: false, default: {}, description: 'SIP digest authentication of customer trunks' },
  ),
  gatewayHealth: Type.Object(
    {
      pingIntervalMs: Millis('OPTIONS ping interval per gateway (0 disables pings)', 30_000, 0),
      pingTimeoutMs: Millis('an OPTIONS ping without answer in this time is a failure', 5000, 100),
      failuresBeforeDown: Type.Integer({
        minimum: 1,
        default: 3,
        description: 'consecutive ping failures that mark a gateway down',
      }),
      successesBeforeUp: Type.Integer({
        minimum: 1,
        default: 2,
        description: 'consecutive ping successes that bring it back',
      }),
      callFailures: Type.Integer({
        minimum: 1,
        default: 5,
        description: 'call failures (timeouts, 5xx) within callFailureWindowMs that mark a gateway down',
      }),
      callFailureWindowMs: Millis('window counting call failures per gateway', 60_000, 1000),
      downForMs: Millis('how long too many call failures keep a gateway down', 60_000, 1000),
    },
    {
      additionalProperties: false,
      default: {},
      description: 'gateway health: OPTIONS pings and recent failures',
    },
  ),
  unavailableNumberStatus: Type.Integer({
    minimum: 400,
    maximum: 699,
    default: 480,
    description: 'SIP status for calls to a suspended or KYC-pending number',
  }),
  pinning: Type.Union([Type.Literal('refuse'), Type.Literal('redirect')], {
    default: 'refuse',
    description:
      'a call arriving at the wrong colocation for a pinned country: refuse it or redirect (302) it',
  }),
});
export type VoiceConfig = Static<typeof VoiceSection>;
