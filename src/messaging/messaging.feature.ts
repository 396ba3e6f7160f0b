// The messaging feature: SMPP binds to the aggregators of the routing plan, outbound SMS through the
// API, receipts, inbound SMS and MMS, and delivery to customers' webhooks and mail boxes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Feature, FeatureContext, FeatureHandle } from '../feature.js';
import { ContentDeleter } from '../content/content-deleter.js';
import { messagingMetrics } from './metrics.js';
import { BindPool } from './smpp/bind-pool.js';
import type { Bind, BindState } from './smpp/bind.js';
import { installVendorTlvs } from './smpp/tlvs.js';
import { bindOptionsFromPlan } from './binds.js';
import { ReceiptBook } from './receipts.js';
import { Deliveries } from './deliveries.js';
import { OutboundService } from './outbound.js';
import { InboundService } from './inbound.js';
import { MessagingService } from './messaging.service.js';
import { messagesRoutes } from './messages.routes.js';
import { mmsRoutes } from './mms.routes.js';

export interface MessagingHandle extends FeatureHandle {
  messaging?: MessagingService;
  /** Where links in deliveries point; tests set it once the API listens on its port. */
  setPublicBaseUrl?: (url: string) => void;
}

function signingKey(ctx: FeatureContext): Buffer {
  const configured = ctx.config.messaging.webhookSigningKey;
  if (configured) return Buffer.from(configured.reveal(), 'utf8');
  // Without a key of its own, derive one from the URL signing key every instance already shares
  // (domain-separated, so neither key reveals the other).
  const urlKey = ctx.config.crypto.urlSigningKey;
  if (urlKey)
    return createHmac('sha256', Buffer.from(urlKey.reveal(), 'base64'))
      .update('messaging-webhook-signing')
      .digest();
  if (!ctx.stores.embedded)
    throw new Error(
      'messaging.webhookSigningKey is required when databases are configured (instances must agree)',
    );
  const dir = ctx.config.crypto.keyDir || path.join(ctx.dataDir, 'keys');
  const file = path.join(dir, 'webhook-signing.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}

export const messagingFeature: Feature = {
  name: 'messaging',
  async start(ctx): Promise<MessagingHandle> {
    const { config, stores } = ctx;
    const mc = config.messaging;
    if (!mc.enabled) return {};
    installVendorTlvs();
    const log = ctx.log.child({ component: 'messaging' });
    const m = messagingMetrics(ctx.metrics);
    let publicBase = config.api.publicBaseUrl || `http://${config.api.host}:${config.api.port}`;
    const publicBaseUrl = () => publicBase;
    const instanceId = config.instance.id;
    const safetyBufferHours = config.retention.safetyBufferHours;

    const deliveries = new Deliveries({
      config: mc,
      publicBaseUrl,
      instanceId,
      router: stores.router,
      envelope: ctx.envelope,
      signer: ctx.signer,
      objects: ctx.objects,
      signingKey: signingKey(ctx),
      m,
      log,
    });
    // Receipts apply through the outbound service, which exists once the pool does.
    const late: { outbound?: OutboundService; inbound?: InboundService } = {};
    const receipts = new ReceiptBook(
      ctx.state,
      (info, status, err) => (late.outbound as OutboundService).applyFinal(info, status, err),
      m,
      log,
      mc.receipts.ttlHours * 3600_000,
      mc.receipts.earlyTtlMs,
    );
    const unregister = new Map<string, () => void>();
    const onNewBind = (bind: Bind) => {
      const aggregator = ctx.plan.snapshot.carriers.get(bind.opts.carrierId)?.name ?? 'unknown';
      m.bindsUp.set({ aggregator, bind: bind.name }, 0);
      unregister.set(
        bind.name,
        ctx.health.register(
          `smpp:${bind.name}`,
          () => {
            if (bind.state !== 'bound') throw new Error(`bind ${bind.state}`);
          },
          false,
        ),
      );
      bind.on('state', (state: BindState) => {
        m.bindsUp.set({ aggregator, bind: bind.name }, state === 'bound' ? 1 : 0);
        if (state === 'stopped') unregister.get(bind.name)?.();
      });
      bind.on('throttled', () => m.throttled.inc({ bind: bind.name }));
      bind.on('protocolError', (kind: string) => m.protocolErrors.inc({ bind: bind.name, kind }));
    };
    const pool = new BindPool(
      log,
      (pdu, bind) => (late.inbound as InboundService).onDeliver(pdu, bind),
      onNewBind,
    );
    const outbound = new OutboundService({
      config: mc,
      safetyBufferHours,
      instanceId,
      router: stores.router,
      numbers: ctx.numbers,
      plan: ctx.plan,
      envelope: ctx.envelope,
      pool,
      receipts,
      deliveries,
      m,
      log,
    });
    const inbound = new InboundService({
      config: mc,
      safetyBufferHours,
      instanceId,
      router: stores.router,
      numbers: ctx.numbers,
      plan: ctx.plan,
      envelope: ctx.envelope,
      state: ctx.state,
      receipts,
      deliveries,
      m,
      log,
    });

    late.outbound = outbound;
    late.inbound = inbound;

    let syncing = Promise.resolve();
    const sync = () => {
      syncing = syncing
        .then(async () => {
          const wanted = await bindOptionsFromPlan(ctx.plan.snapshot, mc, ctx.envelope, (b, err) =>
            log.error({ bind: b.name, err: err.message }, 'cannot open the SMPP bind password'),
          );
          await pool.sync(wanted);
        })
        .catch((err: Error) => log.error({ err: err.message }, 'SMPP bind sync failed'));
      return syncing;
    };
    ctx.plan.onChange(() => void sync());
    await sync();
    const windowTimer = setInterval(() => {
      for (const b of pool.binds) m.windowInUse.set({ bind: b.name }, b.inflight);
    }, 1000);
    windowTimer.unref();

    outbound.start();
    deliveries.start();
    ctx.lifecycle.onStop('intake', 'smpp-binds', async () => {
      clearInterval(windowTimer);
      await outbound.stop();
    });
    ctx.lifecycle.onStop('drain', 'messaging', async () => {
      await syncing;
      await pool.stop();
      inbound.stop();
      receipts.stop();
      await deliveries.stop();
    });

    const messaging = new MessagingService({
      router: stores.router,
      control: stores.control,
      bus: ctx.bus,
      envelope: ctx.envelope,
      signer: ctx.signer,
      deleter: new ContentDeleter(stores.router, ctx.objects, config.retention.deleteConcurrency),
      linkTtlSeconds: mc.mms.linkTtlSeconds,
      publicBaseUrl,
      outbound,
      inbound,
      deliveries,
      pool,
    });
    ctx.provide('messaging', messaging);
    return {
      messaging,
      setPublicBaseUrl: (url) => {
        publicBase = url;
      },
      apiModules: [messagesRoutes(messaging), mmsRoutes(messaging, ctx, m)],
    };
  },
};
