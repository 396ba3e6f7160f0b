// The voice feature: the embedded edge (edge.enabled), the SBC pool, call control, the calls API.
// Provides 'calls' (the active-call registry) and 'voiceDrain' to other features.
import { randomBytes } from 'node:crypto';
import type { Feature, FeatureContext, FeatureHandle } from '../feature.js';
import { startEdge, type RunningEdge } from '../edge/index.js';
import { ActiveCalls, CALLS_SERVICE, VOICE_DRAIN_SERVICE, type VoiceDrain } from './calls.js';
import { CallControl } from './call-control.js';
import { VoicePolicy } from './policy.js';
import type { Gateway } from '../plan/plan.repo.js';
import { SbcPool } from './sbc/sbc-pool.js';
import type { SbcEndpoint } from './sbc/sbc-connection.js';
import { voiceMetrics } from './voice-metrics.js';
import { callsRoutes } from './calls.routes.js';

export interface VoiceHandle extends FeatureHandle {
  pool: SbcPool;
  control: CallControl;
  calls: ActiveCalls;
  drain: VoiceDrain;
  policy: VoicePolicy;
  /** The embedded edge, when this instance started one. */
  edge?: RunningEdge;
}

export const voiceFeature: Feature = {
  name: 'voice',
  async start(ctx: FeatureContext): Promise<VoiceHandle> {
    const { config } = ctx;
    const log = ctx.log.child({ component: 'voice' });
    const endpoints: SbcEndpoint[] = config.sbcs.map((s) => ({
      name: s.name,
      region: s.region,
      colocation: s.colocation,
      country: s.country,
      mode: s.mode,
      host: s.mode === 'listen' ? s.listenHost : s.host,
      port: s.mode === 'listen' ? s.listenPort : s.port,
      secret: s.secret.reveal(),
      tls: s.tls,
      ...(s.tlsCaFile ? { tlsCaFile: s.tlsCaFile } : {}),
      ...(s.tlsServerName ? { tlsServerName: s.tlsServerName } : {}),
      pingIntervalMs: s.pingIntervalMs,
      reconnectMinMs: s.reconnectMinMs,
      reconnectMaxMs: s.reconnectMaxMs,
    }));

    let edge: RunningEdge | undefined;
    if (config.edge.enabled) {
      // The embedded SBC: a secret of its own per process (it never leaves loopback config).
      const secret = randomBytes(18).toString('base64url');
      edge = await startEdge({
        sip: { host: config.edge.sipHost, port: config.edge.sipPort },
        app: { host: config.edge.appHost, port: config.edge.appPort, secret },
        logger: ctx.log.child({ component: 'edge' }),
        metrics: ctx.metrics,
      });
      log.info({ sipPort: edge.sipPort, appPort: edge.appPort }, 'embedded edge started');
      // Recording's fsmrf sends its INVITEs to FreeSWITCH through the embedded edge too.
      ctx.provide('embeddedEdge', { host: config.edge.appHost, port: edge.appPort, secret });
      endpoints.push({
        name: config.calls.edgeSbc.name,
        region: config.instance.region,
        colocation: config.calls.edgeSbc.colocation,
        country: config.calls.edgeSbc.country,
        mode: 'connect',
        host: config.edge.appHost,
        port: edge.appPort,
        secret,
        tls: false,
        pingIntervalMs: 15_000,
        reconnectMinMs: 100,
        reconnectMaxMs: 5_000,
      });
    }

    const sbcs: { pool?: SbcPool } = {};
    const metrics = voiceMetrics(ctx.metrics);
    const calls = new ActiveCalls();
    // OPTIONS pings to carrier gateways go out through a connected SBC.
    const sendOptions = (g: Gateway): Promise<number> =>
      new Promise((resolve) => {
        const srf = sbcs.pool?.list().find((s) => s.srf)?.srf;
        if (!srf) return resolve(0);
        const uri = `sip:${g.host}:${g.port}${g.transport === 'udp' ? '' : `;transport=${g.transport}`}`;
        srf.request(uri, { method: 'OPTIONS' }, (err, req) => {
          if (err) return resolve(0);
          (req as { on(e: string, fn: (res: { status: number }) => void): void }).on('response', (res) =>
            resolve(res.status),
          );
        });
      });
    const policy = new VoicePolicy(ctx, log, sendOptions);
    const control = new CallControl({
      config,
      log,
      metrics,
      numbers: ctx.numbers,
      policy,
      records: ctx.records,
      calls,
      sbcs: () => sbcs.pool?.list() ?? [],
      lookup: ctx.lookup,
    });
    const pool = new SbcPool(
      endpoints,
      (srf, sbc) => {
        srf.invite((req, res) => control.onInvite(srf, sbc, req, res));
        // OPTIONS keep-alives from carriers and SBC health checks get 200.
        srf.options((_req, res) => res.send(200));
      },
      log,
      ctx.metrics,
      ctx.health,
    );
    sbcs.pool = pool;
    await policy.start();
    await pool.start();

    const drain: VoiceDrain = {
      drain: async () => {
        control.stopIntake();
        pool.drain();
      },
      activeCalls: () => calls.count(),
    };
    // Without any SBC this instance carries no calls: it offers no call registry or drain, so other
    // features (ops' drain) see "no voice here" rather than an empty registry.
    if (endpoints.length > 0) {
      ctx.provide(CALLS_SERVICE, calls);
      ctx.provide(VOICE_DRAIN_SERVICE, drain);
    }

    ctx.lifecycle.onStop('intake', 'voice-routes', () => drain.drain());
    ctx.lifecycle.onStop('drain', 'voice-calls', async (signal) => {
      const bound = AbortSignal.any([signal, AbortSignal.timeout(config.calls.drainTimeoutMs)]);
      await calls.idle(bound);
      const left = calls.list();
      if (left.length > 0) {
        log.warn({ calls: left.length }, 'drain bound reached: hanging up the calls left');
        await Promise.allSettled(left.map((c) => c.hangup('shutdown')));
      }
      await control.settled();
    });
    ctx.lifecycle.onStop('flush', 'voice-sbcs', async () => {
      await policy.stop();
      pool.close();
    });
    if (edge) {
      const running = edge;
      ctx.lifecycle.onStop('flush', 'embedded-edge', () => running.close());
    }

    return {
      apiModules: [callsRoutes(ctx.stores.router)],
      pool,
      control,
      calls,
      drain,
      policy,
      ...(edge ? { edge } : {}),
    };
  },
};
