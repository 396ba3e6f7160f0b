// Call control of the voice feature: how calls are answered, failed over, drained and recorded in
// CDRs. Routing policy (numbering, route table, guards) is the `voice` section.
import { Type, type Static } from '@sinclair/typebox';
import { Millis, Section } from '../types.js';

const SipStatus = (description: string, def: number) =>
  Type.Integer({ minimum: 400, maximum: 699, default: def, description });

export const CallsSection = Section('Voice call control: answers, failover, draining, the embedded SBC', {
  edgeSbc: Type.Object(
    {
      name: Type.String({ default: 'edge', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'SBC name' }),
      colocation: Type.String({ minLength: 1, default: 'embedded', description: 'colocation name' }),
      country: Type.String({ pattern: '^[A-Z]{2}$', default: 'US', description: 'ISO country' }),
    },
    {
      additionalProperties: false,
      default: {},
      description:
        'how the embedded edge (edge.enabled) appears in the SBC pool; its region is instance.region',
    },
  ),
  publicHost: Type.String({
    minLength: 1,
    default: 'localhost',
    description:
      'host written in the numbers we assert (Diversion, History-Info, P-Asserted-Identity); localhost lets the SBC write its own address',
  }),
  unknownNumberStatus: SipStatus('answer to a call for a number nobody holds', 404),
  suspendedStatus: SipStatus('answer to a call for a suspended number', 480),
  pendingKycStatus: SipStatus('answer to a call for a number whose KYC is not complete', 480),
  noDestinationStatus: SipStatus('answer when a number has no destination configured', 480),
  maxAttempts: Type.Integer({
    minimum: 1,
    maximum: 10,
    default: 3,
    description: 'most B-leg attempts per call (destinations or carriers)',
  }),
  drainTimeoutMs: Millis(
    'longest the drain stop step waits for calls to end (also bounded by shutdown.graceMs)',
    30_000,
  ),
  pinning: Type.Object(
    {
      tollFreeInRegion: Type.Boolean({
        default: false,
        description:
          "toll-free numbers are handled only by SBCs of the owner's region (country pins come from the plan's voice_countries; refuse or redirect is voice.pinning)",
      }),
      sipUris: Type.Record(Type.String({ minLength: 1 }), Type.String({ pattern: '^sips?:[^\\s]+$' }), {
        default: {},
        description: 'SIP URI of each SBC by name, the Contact of a 302 when a call is redirected to it',
      }),
    },
    { additionalProperties: false, default: {}, description: 'toll-free origination and in-country pinning' },
  ),
});
export type CallsConfig = Static<typeof CallsSection>;
