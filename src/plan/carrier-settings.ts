// Per-carrier policy, stored in carriers.settings and validated by the API. Voice keys drive the
// INVOKE pipeline and failover; sms keys drive the aggregator binds.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const CarrierCategorySchema = Type.Union(
  [Type.Literal('tier1_voice'), Type.Literal('regional_voice'), Type.Literal('sms_aggregator')],
  { description: 'tier1_voice, regional_voice or sms_aggregator' },
);
export type CarrierCategory = Static<typeof CarrierCategorySchema>;

export const VoiceCarrierSettingsSchema = Type.Object(
  {
    finalCodes: Type.Array(Type.Integer({ minimum: 300, maximum: 699 }), {
      default: [404, 486, 487, 600, 603],
      description: 'SIP statuses that end the call instead of failing over',
    }),
    maxConcurrent: Type.Optional(
      Type.Integer({ minimum: 1, description: 'concurrent calls to this carrier' }),
    ),
    maxCps: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'new calls per second to this carrier' }),
    ),
    codecs: Type.Array(Type.String({ pattern: '^[A-Za-z0-9.-]+$' }), {
      default: ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'],
      description: 'codec allow-list, in order of preference',
    }),
    srtp: Type.Union([Type.Literal('forbid'), Type.Literal('optional'), Type.Literal('require')], {
      default: 'forbid',
    }),
    ptime: Type.Optional(Type.Integer({ minimum: 10, maximum: 60 })),
    dropMedia: Type.Array(Type.String({ pattern: '^[a-z]+$' }), {
      default: ['video'],
      description: 'media types (m= lines) this carrier must not see, e.g. video',
    }),
    nationalCountry: Type.Optional(
      Type.String({
        pattern: '^[A-Z]{2}$',
        description: 'country of national-format numbers (default: the first of the carrier countries)',
      }),
    ),
    passHeaders: Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), {
      default: [],
      description: 'headers passed through from the other leg (everything else is dropped)',
    }),
    numberFormat: Type.Union([Type.Literal('e164'), Type.Literal('e164_no_plus'), Type.Literal('national')], {
      default: 'e164',
      description: 'how this carrier writes numbers',
    }),
    techPrefix: Type.String({
      pattern: '^[0-9#*]*$',
      default: '',
      description: 'prefix the carrier puts before (inbound) or expects before (outbound) the number',
    }),
    calledNumberIn: Type.Union([Type.Literal('request-uri'), Type.Literal('to')], { default: 'request-uri' }),
    provisionalTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 60_000,
      default: 2000,
      description: 'fail over when no provisional response arrives in time',
    }),
    finalTimeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 300_000,
      default: 60_000,
      description: 'fail over when no final response arrives in time',
    }),
    optionsPing: Type.Object(
      {
        intervalSec: Type.Integer({
          minimum: 0,
          maximum: 3600,
          default: 30,
          description: '0 disables OPTIONS pings',
        }),
        failuresBeforeDown: Type.Integer({ minimum: 1, default: 3 }),
        successesBeforeUp: Type.Integer({ minimum: 1, default: 2 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type VoiceCarrierSettings = Static<typeof VoiceCarrierSettingsSchema>;

export const SmsCarrierSettingsSchema = Type.Object(
  {
    receiptIdFormat: Type.Union([Type.Literal('as-is'), Type.Literal('hex'), Type.Literal('decimal')], {
      default: 'as-is',
      description: 'how the aggregator writes message ids in receipts (normalised before matching)',
    }),
    supportsAlphanumericSender: Type.Boolean({ default: true }),
    mmsTokenSha256: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{64}$',
        description: 'SHA-256 (hex) of the bearer token the aggregator sends with inbound MMS',
      }),
    ),
  },
  { additionalProperties: true, default: {} },
);
export type SmsCarrierSettings = Static<typeof SmsCarrierSettingsSchema>;

export const CarrierSettingsSchema = Type.Object(
  {
    voice: Type.Optional(VoiceCarrierSettingsSchema),
    sms: Type.Optional(SmsCarrierSettingsSchema),
  },
  { additionalProperties: false, default: {} },
);
export type CarrierSettings = Static<typeof CarrierSettingsSchema>;

/** A carrier's voice settings with every default applied (rows written before a key existed lack it). */
export function voiceSettingsOf(settings: CarrierSettings | undefined): VoiceCarrierSettings {
  return Value.Default(
    VoiceCarrierSettingsSchema,
    structuredClone(settings?.voice ?? {}),
  ) as VoiceCarrierSettings;
}
