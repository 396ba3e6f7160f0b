// A customer SIP trunk's policy as the API accepts it: SDP and header policy toward the customer.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const TrunkSettingsSchema = Type.Object(
  {
    codecs: Type.Array(Type.String({ pattern: '^[A-Za-z0-9.-]+$' }), {
      default: ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'],
      maxItems: 20,
      description: 'codec allow-list toward the customer, in order of preference',
    }),
    srtp: Type.Union([Type.Literal('forbid'), Type.Literal('optional'), Type.Literal('require')], {
      default: 'optional',
      description: 'forbid: RTP/AVP only; require: RTP/SAVP only; optional: keep what the offer has',
    }),
    ptime: Type.Optional(Type.Integer({ minimum: 10, maximum: 60 })),
    dropMedia: Type.Array(Type.String({ pattern: '^[a-z]+$' }), {
      default: [],
      maxItems: 10,
      description: 'media types (m= lines) removed before the customer sees the SDP',
    }),
    passHeaders: Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), {
      default: [],
      maxItems: 50,
      description: 'headers passed through from the other leg (everything else is dropped)',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type TrunkSettings = Static<typeof TrunkSettingsSchema>;

export function trunkSettingsOf(raw: unknown): TrunkSettings {
  return Value.Default(TrunkSettingsSchema, structuredClone(raw ?? {})) as TrunkSettings;
}

export const CallerIdPolicySchema = Type.Union([Type.Literal('withhold'), Type.Literal('reject')], {
  description: 'caller ID the customer neither owns nor verified: withheld (anonymous) or the call refused',
});
export type CallerIdPolicy = Static<typeof CallerIdPolicySchema>;
