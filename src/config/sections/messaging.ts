// Config section `messaging`: SMPP bind timing, the outbound queue, receipts, inbound reassembly,
// delivery to customers (webhooks, mail) and inbound MMS. Binds themselves live in the routing plan.
import { Type } from '@sinclair/typebox';
import { Section, Host, Port, Millis, SecretRef } from '../types.js';

export const MessagingSection = Section(
  'SMS/MMS: SMPP binds, outbound queue, receipts, delivery to customers',
  {
    enabled: Type.Boolean({ default: true, description: 'run the messaging feature on this instance' }),
    bind: Type.Object(
      {
        responseTimeoutMs: Millis('longest wait for any PDU response before it counts as lost', 10_000, 100),
        enquireLinkMs: Millis('enquire_link interval', 30_000, 100),
        connectTimeoutMs: Millis('TCP/TLS connect and bind timeout', 10_000, 100),
        reconnectMinMs: Millis('first reconnect delay (doubles per failure, with jitter)', 1000, 10),
        reconnectMaxMs: Millis('longest reconnect delay', 60_000, 10),
        throttlePauseMs: Millis('pause after ESME_RTHROTTLED / ESME_RMSGQFUL before sending again', 1000, 1),
        deadAfterTimeouts: Type.Integer({
          minimum: 1,
          default: 3,
          description: 'unanswered submits in a row after which the bind is torn down and rebuilt',
        }),
        passwords: Type.Record(Type.String(), SecretRef('SMPP password of the bind with this name'), {
          default: {},
          description:
            'passwords by bind name; a bind not named here uses its password sealed in the plan (smpp_binds.password_enc)',
        }),
        rejectUnauthorized: Type.Boolean({
          default: true,
          description: 'verify the TLS certificate of SMSCs',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    outbound: Type.Object(
      {
        submitWaitMs: Millis(
          'how long a message waits for a bound bind of one aggregator before failing over',
          15_000,
        ),
        pollIntervalMs: Millis(
          'how often each instance looks for queued messages (others wake it sooner)',
          1000,
          10,
        ),
        batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        concurrency: Type.Integer({
          minimum: 1,
          maximum: 10_000,
          default: 200,
          description: 'messages in submission at once per instance',
        }),
        retryMs: Millis('delay before a message that found no aggregator is tried again', 30_000, 10),
        expireAfterMs: Millis('a message not submitted after this long fails', 4 * 3600_000, 1000),
        leaseMs: Millis('how long an instance holds a queued message it is submitting', 60_000, 1000),
      },
      { additionalProperties: false, default: {} },
    ),
    receipts: Type.Object(
      {
        ttlHours: Type.Integer({
          minimum: 1,
          maximum: 720,
          default: 72,
          description: 'how long a submitted message waits for its receipt',
        }),
        earlyTtlMs: Millis(
          'how long a receipt that arrived before its submit_sm_resp is held',
          600_000,
          1000,
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    inbound: Type.Object(
      {
        reassemblyTimeoutMs: Millis(
          'how long parts of a long message wait for the rest before delivery as incomplete',
          60_000,
          100,
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    delivery: Type.Object(
      {
        pollIntervalMs: Millis('how often each instance looks for due deliveries', 1000, 10),
        timeoutMs: Millis('webhook request timeout', 10_000, 100),
        retryBaseMs: Millis('first retry delay (doubles per attempt, with jitter)', 5000, 1),
        retryMaxMs: Millis('longest retry delay', 3600_000, 1),
        deadAfterMs: Millis(
          'deliveries still failing this long after the message are dead-lettered',
          25 * 3600_000,
          1,
        ),
        concurrency: Type.Integer({ minimum: 1, maximum: 1000, default: 32 }),
        leaseMs: Millis('how long an instance holds a delivery it is attempting', 60_000, 1000),
      },
      { additionalProperties: false, default: {} },
    ),
    webhookSigningKey: Type.Optional(
      SecretRef(
        'HMAC key webhooks are signed with (per-customer keys derive from it); without it, derived from crypto.urlSigningKey, or generated under the data dir in the embedded default',
      ),
    ),
    mail: Type.Object(
      {
        from: Type.String({
          default: 'messages@localhost',
          description: 'From address of inbound-message mail',
        }),
        host: Host('SMTP server (SES speaks SMTP)', '127.0.0.1'),
        port: Port('SMTP port', 25),
        secure: Type.Boolean({
          default: false,
          description: 'TLS from the start (465); otherwise STARTTLS when offered',
        }),
        user: Type.Optional(Type.String({ description: 'SMTP user' })),
        password: Type.Optional(SecretRef('SMTP password')),
        attachMaxBytes: Type.Integer({
          minimum: 0,
          default: 5_000_000,
          description: 'MMS media up to this total size are attached; larger ones are linked',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    mms: Type.Object(
      {
        maxBytes: Type.Integer({
          minimum: 1,
          default: 5_000_000,
          description: 'largest inbound MMS (all parts)',
        }),
        linkTtlSeconds: Type.Integer({
          minimum: 10,
          default: 3600,
          description: 'lifetime of signed media links in deliveries',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
);
