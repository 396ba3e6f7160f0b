// Messaging test setup through the API: an operator key, a customer with a number and its messaging
// settings, one sms_aggregator carrier per test SMSC with a bind and an SMS route; plus a real HTTP
// receiver for webhooks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import type { App } from '../../src/app.js';
import type { MessagingHandle } from '../../src/messaging/messaging.feature.js';
import type { MessagingService } from '../../src/messaging/messaging.service.js';
import { call } from './app.js';
import type { TestSmsc } from './smsc.js';
import { waitFor } from './wait.js';

export interface SetupOptions {
  region?: 'NOAM' | 'EURO';
  number?: string;
  messaging?: { webhookUrl?: string; email?: string; keepContent?: boolean };
  smscs?: TestSmsc[];
  bindsPerSmsc?: number;
  windowSize?: number;
  maxMps?: number;
  sms?: Record<string, unknown>;
  mmsToken?: string;
  /** Reuse the customer/carriers made on another instance of the same cluster. */
  op?: string;
}

export function messagingOf(app: App): MessagingService {
  const h = app.features.messaging as MessagingHandle;
  if (!h.messaging) throw new Error('messaging feature not started');
  h.setPublicBaseUrl?.(app.apiUrl);
  return h.messaging;
}

export async function setupMessaging(t: Test, app: App, o: SetupOptions = {}) {
  const op = o.op ?? (await app.accounts.createOperatorKey({ kind: 'system', name: 'test' }, 'op')).token;
  const region = o.region ?? 'NOAM';
  const c = await call(app, 'POST', '/v1/customers', op, { name: 'Msg customer', region });
  if (c.status !== 201) throw new Error(JSON.stringify(c.body));
  const key = (await call(app, 'POST', `/v1/customers/${c.body.id}/api-keys`, op, { name: 'k' })).body
    .key as string;
  const number = o.number ?? '+12025550100';
  const n = await call(app, 'POST', '/v1/numbers', op, {
    e164: number,
    customerId: c.body.id,
    messaging: { keepContent: false, ...(o.messaging ?? {}) },
    retention: { policy: '30d' },
  });
  if (n.status !== 201) throw new Error(JSON.stringify(n.body));
  const carriers: { id: string; name: string }[] = [];
  let i = 0;
  for (const smsc of o.smscs ?? []) {
    i++;
    const name = `agg-${i}`;
    const sms = {
      ...(o.sms ?? {}),
      ...(o.mmsToken ? { mmsTokenSha256: createHash('sha256').update(o.mmsToken).digest('hex') } : {}),
    };
    const car = await call(app, 'POST', '/v1/carriers', op, {
      name,
      category: 'sms_aggregator',
      settings: { sms },
    });
    if (car.status !== 201) throw new Error(JSON.stringify(car.body));
    for (let b = 0; b < (o.bindsPerSmsc ?? 1); b++) {
      const r = await call(app, 'POST', `/v1/carriers/${car.body.id}/smpp-binds`, op, {
        name: `${name}-b${b}`,
        host: '127.0.0.1',
        port: smsc.port,
        systemId: 'esme',
        password: 'secret1',
        windowSize: o.windowSize ?? 10,
        maxMps: o.maxMps ?? 1000,
      });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    }
    const route = await call(app, 'POST', '/v1/routes', op, {
      kind: 'sms',
      prefix: '',
      carrierId: car.body.id,
      priority: i,
    });
    if (route.status !== 201) throw new Error(JSON.stringify(route.body));
    carriers.push({ id: car.body.id as string, name });
  }
  const svc = messagingOf(app);
  const expected = (o.smscs?.length ?? 0) * (o.bindsPerSmsc ?? 1);
  await waitFor(
    () => svc.pool.binds.length === expected && svc.pool.binds.every((b) => b.state === 'bound'),
    {
      message: 'binds bound',
      timeoutMs: 20_000,
    },
  );
  void t;
  return { op, customerId: c.body.id as string, key, number, carriers, svc };
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  at: number;
}

/** A real HTTP receiver; `status` decides each answer (e.g. 503 while "down"). */
export async function startReceiver(t: Test, status: (r: Received) => number = () => 200) {
  const received: Received[] = [];
  const accepted: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        /* recorded as is */
      }
      const r = { headers: req.headers, body, json, at: Date.now() };
      received.push(r);
      const code = status(r);
      if (code < 300) accepted.push(r);
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.keepAliveTimeout = 1000;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, accepted, server };
}
