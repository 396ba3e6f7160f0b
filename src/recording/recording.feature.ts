// The recording feature: the media-server pool (drachtio-fsmrf over each FreeSWITCH's event socket),
// the MediaAnchor the call flow puts recorded calls through (ctx.provide('mediaAnchor')), live
// recording control from the API across instances, and their health and metrics.
import Srf from 'drachtio-srf';
import type { Feature, FeatureHandle } from '../feature.js';
import { MEDIA_ANCHOR_SERVICE, type MediaAnchor } from './anchor.types.js';
import { LiveCalls } from './live-calls.js';
import { MediaPool, poolMetrics } from './media-pool.js';
import { FsMediaAnchor, metricsOf } from './recording-anchor.js';
import { recordingControlRoutes } from './recording-control.routes.js';
import { RecordingStore } from './recording-store.js';
import { RecordingSpool } from './recording-spool.js';
import path from 'node:path';

export interface RecordingHandle extends FeatureHandle {
  anchor: MediaAnchor | undefined;
  pool: MediaPool | undefined;
  live: LiveCalls;
}

export const recordingFeature: Feature = {
  name: 'recording',
  async start(ctx): Promise<RecordingHandle> {
    const cfg = ctx.config.media;
    const log = ctx.log.child({ component: 'recording' });
    // Every recording metric exists from the first scrape, media servers configured or not.
    poolMetrics(ctx.metrics);
    metricsOf(ctx.metrics);
    const live = new LiveCalls({ state: ctx.state, instanceId: ctx.config.instance.id, log });
    await live.start();
    ctx.lifecycle.onStop('flush', 'recording-control', () => live.stop());

    let pool: MediaPool | undefined;
    let anchor: MediaAnchor | undefined;
    if (cfg.servers.length > 0) {
      // fsmrf sends its INVITEs to FreeSWITCH through drachtio: the configured drachtio server, or
      // the embedded edge (provided by voice, which starts after this feature). This connection only
      // originates: it routes no verbs, so the SBC never offers it inbound calls.
      const srf = new Srf();
      let srfConnected = false;
      let closed = false;
      let warned = false;
      srf.on('connect', () => {
        srfConnected = true;
        log.info('recording connected to drachtio');
      });
      srf.on('disconnect', () => (srfConnected = false));
      srf.on('error', (err: Error) => log.warn({ err: err.message }, 'recording drachtio connection error'));
      const connectSrf = (): void => {
        if (closed) return;
        const target = cfg.drachtio.secret
          ? { host: cfg.drachtio.host, port: cfg.drachtio.port, secret: cfg.drachtio.secret.reveal() }
          : ctx.lookup<{ host: string; port: number; secret: string }>('embeddedEdge');
        if (!target) {
          // Voice starts the embedded edge after this feature; without it (edge disabled) and without
          // media.drachtio.secret, fsmrf has no way to FreeSWITCH: say so once, keep waiting.
          if (!warned && ctx.config.edge.enabled === false) {
            warned = true;
            log.error(
              'media servers configured but no drachtio to reach them: set media.drachtio or enable the edge',
            );
          }
          setTimeout(connectSrf, 100).unref();
          return;
        }
        srf.connect(target);
      };
      connectSrf();
      ctx.health.register(
        'media:drachtio',
        () => {
          if (!srfConnected) throw new Error('not connected to drachtio');
        },
        false,
      );
      const thePool = new MediaPool({ config: cfg, srf, log, metrics: ctx.metrics });
      pool = thePool;
      thePool.start();
      for (const slot of thePool.slots)
        ctx.health.register(`media:${slot.name}`, () => thePool.check(slot), false);
      const store = new RecordingStore({
        router: ctx.stores.router,
        objects: ctx.objects,
        envelope: ctx.envelope,
        safetyBufferHours: ctx.config.retention.safetyBufferHours,
      });
      const spool = new RecordingSpool({
        dir:
          cfg.spoolDir ||
          path.join(ctx.config.records.spoolDir || path.join(ctx.dataDir, 'spool'), 'recordings'),
        store,
        servers: cfg.servers,
        intervalMs: cfg.replayIntervalMs,
        log,
        metrics: ctx.metrics,
      });
      anchor = new FsMediaAnchor({
        spool,
        pool: thePool,
        store,
        numbers: ctx.numbers,
        config: cfg,
        metrics: ctx.metrics,
        live,
      });
      // After the call flow has drained (its stop steps release every anchored call).
      ctx.lifecycle.onStop('flush', 'media-servers', () => {
        closed = true;
        spool.close();
        thePool.close();
        srf.disconnect();
      });
      // Without media servers nothing is provided: call control then records 'no-media-anchor' as
      // the reason a call with recording on went unrecorded (and counts it).
      ctx.provide(MEDIA_ANCHOR_SERVICE, anchor);
    }
    return { anchor, pool, live, apiModules: [recordingControlRoutes(live, ctx.stores.router)] };
  },
};
