// The settings of a number, as the API accepts them and as every instance caches them.
// TypeBox schemas double as the API's JSON schemas and the static types.
import { Type, type Static } from '@sinclair/typebox';
import type { Region } from '../config/index.js';

export const E164 = Type.String({
  pattern: '^\\+[1-9][0-9]{5,14}$',
  description: 'E.164 number, e.g. +14155550100',
});

export const NumberStatusSchema = Type.Union(
  [Type.Literal('active'), Type.Literal('pending_kyc'), Type.Literal('suspended')],
  { description: 'active, pending_kyc (calls refused until KYC completes) or suspended' },
);
export type NumberStatus = Static<typeof NumberStatusSchema>;

// Optional rather than defaulted: JSON-schema defaults inside a union branch are not applied.
const Timeout = Type.Optional(
  Type.Integer({ minimum: 5, maximum: 300, description: 'ring timeout in seconds (default 30)' }),
);
export const DEFAULT_RING_TIMEOUT_SEC = 30;

export const DestinationSchema = Type.Union([
  Type.Object(
    {
      type: Type.Literal('sip'),
      uri: Type.String({
        pattern: '^sips?:[^\\s]+$',
        maxLength: 512,
        description: 'SIP URI of the customer endpoint',
      }),
      timeoutSec: Timeout,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('number'),
      e164: E164,
      timeoutSec: Timeout,
    },
    {
      additionalProperties: false,
      description: 'forward to a phone number, routed out like a customer call',
    },
  ),
]);
export type Destination = Static<typeof DestinationSchema>;

export const VoiceSettingsSchema = Type.Object(
  {
    destinations: Type.Array(DestinationSchema, { maxItems: 10, default: [], description: 'tried in order' }),
    strategy: Type.Union([Type.Literal('sequential'), Type.Literal('simultaneous')], {
      default: 'sequential',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type VoiceSettings = Static<typeof VoiceSettingsSchema>;

export const MessagingSettingsSchema = Type.Object(
  {
    webhookUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
    keepContent: Type.Boolean({
      default: false,
      description: 'store message bodies and media (encrypted) for retrieval',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type MessagingSettings = Static<typeof MessagingSettingsSchema>;

export const RecordingSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    consentPrompt: Type.Optional(
      Type.String({
        maxLength: 512,
        // One FreeSWITCH playback token (sound file on the media server, tone_stream://, or a URL);
        // the recording anchor checks the same rule before anything reaches the event socket.
        pattern: '^[A-Za-z0-9_./:%=@+,-]{1,512}$',
        description:
          'prompt played to both parties before recording starts: a sound file on the media server, tone_stream://… or a URL',
      }),
    ),
    channels: Type.Union([Type.Literal(1), Type.Literal(2)], {
      default: 2,
      description: '2: caller and callee on separate channels',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type RecordingSettings = Static<typeof RecordingSettingsSchema>;

export const RetentionSettingsSchema = Type.Object(
  {
    policy: Type.Union(
      [
        Type.Literal('7d'),
        Type.Literal('30d'),
        Type.Literal('90d'),
        Type.Literal('1y'),
        Type.Literal('custom'),
      ],
      { default: '30d', description: 'how long recordings, message bodies and media are kept' },
    ),
    customDays: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3650, description: 'days, with policy custom' }),
    ),
  },
  { additionalProperties: false, default: {} },
);
export type RetentionSettings = Static<typeof RetentionSettingsSchema>;

export function retentionDays(r: RetentionSettings): number {
  switch (r.policy) {
    case '7d':
      return 7;
    case '30d':
      return 30;
    case '90d':
      return 90;
    case '1y':
      return 365;
    case 'custom':
      return r.customDays ?? 30;
  }
}

/** A number as every instance caches it. */
export interface NumberEntry {
  e164: string;
  customerId: string;
  region: Region;
  country: string;
  status: NumberStatus;
  voice: VoiceSettings;
  messaging: MessagingSettings;
  recording: RecordingSettings;
  retention: RetentionSettings;
  version: number;
}
