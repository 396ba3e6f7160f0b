// Messaging traffic for the ops tests: an SMS sent through the API goes out over SMPP to a real test
// SMSC, its delivery receipt comes back and the status callback reaches a real HTTP receiver; an
// inbound deliver_sm reaches the customer's webhook.
import { startSmsc } from '../../support/smsc.js';
import { setupMessaging, startReceiver } from '../../support/messaging.js';
import { waitFor } from '../../support/wait.js';
import { secret } from '../../support/config.js';
import { encodeGsm } from '../../../src/messaging/gsm.js';
import type { TrafficStep } from './traffic.js';

/** Config overrides that make the messaging loops quick enough for a test. */
export const FAST_MESSAGING = {
  messaging: {
    webhookSigningKey: secret(Buffer.alloc(32, 7).toString('base64')),
    bind: { enquireLinkMs: 2000, responseTimeoutMs: 2000, reconnectMinMs: 50, reconnectMaxMs: 500 },
    outbound: { pollIntervalMs: 200, retryMs: 200 },
    delivery: { pollIntervalMs: 100, retryBaseMs: 50 },
  },
};

export const messageTraffic: TrafficStep = {
  name: 'messages',
  async run(ctx) {
    const { app, t } = ctx;
    const smsc = await startSmsc({ receipt: () => 'DELIVRD' });
    t.teardown(() => smsc.close());
    const hooks = await startReceiver(t);
    const number = '+12025550400';
    const s = await setupMessaging(t, app, {
      smscs: [smsc],
      number,
      messaging: { webhookUrl: hooks.url },
      ...(ctx.operatorKey ? { op: ctx.operatorKey } : {}),
    });

    const sent = await fetch(`${app.apiUrl}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        from: number,
        to: '+447911123456',
        text: 'ops traffic',
        statusCallbackUrl: hooks.url,
      }),
    });
    t.equal(sent.status, 202, 'message accepted');
    await sent.arrayBuffer();
    await waitFor(() => smsc.submits.length >= 1, { timeoutMs: 30_000, message: 'submit_sm at the SMSC' });
    await waitFor(() => hooks.accepted.some((r) => JSON.stringify(r.json).includes('delivered')), {
      timeoutMs: 30_000,
      message: 'a delivered status callback',
    });

    const status = await smsc.deliver({
      source_addr: '447911123456',
      destination_addr: number.slice(1),
      short_message: encodeGsm('ops inbound'),
    });
    t.equal(status, 0, 'deliver_sm accepted');
    // To a number nobody owns: refused (messaging_rejected_total).
    await smsc.deliver({
      source_addr: '447911123456',
      destination_addr: '12025550999',
      short_message: encodeGsm('nobody'),
    });
    await waitFor(() => hooks.accepted.some((r) => JSON.stringify(r.json).includes('inbound')), {
      timeoutMs: 30_000,
      message: 'the inbound message at the webhook',
    });
  },
};
