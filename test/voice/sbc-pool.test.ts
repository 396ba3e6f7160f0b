// The SBC pool against real edges: TLS kept across reconnects (drachtio-srf's own reconnect would
// fall back to plain TCP), per-SBC state on the health checks and in metrics, drain removing the
// INVITE route (a new call gets 503 from the SBC) while the rest of the pool keeps taking calls.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startTestEdge } from '../support/edge.js';
import { runSipp } from '../support/sipp.js';
import { waitFor } from '../support/wait.js';
import { Health } from '../../src/platform/health.js';
import { SbcPool } from '../../src/voice/sbc/sbc-pool.js';
import type { SbcEndpoint } from '../../src/voice/sbc/sbc-connection.js';

const TLS_DIR = path.resolve('test/fixtures/tls');
const tls = {
  key: readFileSync(path.join(TLS_DIR, 'test-only.key')),
  cert: readFileSync(path.join(TLS_DIR, 'test-only.crt')),
};

const endpoint = (
  name: string,
  port: number,
  secret: string,
  over: Partial<SbcEndpoint> = {},
): SbcEndpoint => ({
  name,
  region: 'NOAM',
  colocation: 'test',
  country: 'US',
  mode: 'connect',
  host: '127.0.0.1',
  port,
  secret,
  tls: false,
  pingIntervalMs: 5000,
  reconnectMinMs: 50,
  reconnectMaxMs: 500,
  ...over,
});

t.test('TLS survives reconnects; health, metrics and drain per SBC', async (t) => {
  const tlsEdge = await startTestEdge({ app: { host: '127.0.0.1', port: 0, secret: 'tls-secret', tls } });
  const appPort = tlsEdge.appPort;
  const plainEdge = await startTestEdge();
  t.teardown(() => plainEdge.close());
  const health = new Health();
  const metrics = new Registry();
  const answered: string[] = [];
  const pool = new SbcPool(
    [
      endpoint('secure', appPort, 'tls-secret', {
        tls: true,
        tlsCaFile: path.join(TLS_DIR, 'test-only.crt'),
        tlsServerName: 'localhost',
      }),
      endpoint('plain', plainEdge.appPort, plainEdge.secret),
    ],
    (srf, sbc) => {
      srf.invite((_req, res) => {
        answered.push(sbc.name);
        res.send(486);
      });
    },
    pino({ level: 'silent' }),
    metrics,
    health,
  );
  t.teardown(() => pool.close());
  await pool.start();
  await pool.waitConnected(15_000);
  let report = await health.run();
  t.ok(report.ready, 'ready with both SBCs up');
  t.match(await metrics.getSingleMetricAsString('voice_sbc_connected'), /sbc="secure"[^}]*\} 1/);

  // The TLS SBC goes away: reported down (not critical alone), metrics say so.
  await tlsEdge.close();
  await waitFor(() => pool.get('secure')?.state !== 'connected', { message: 'secure seen down' });
  report = await health.run();
  t.notOk(report.checks.find((c) => c.name === 'sbc:secure')?.ok, 'sbc:secure not ok');
  t.ok(report.ready, 'still ready: another SBC is connected');
  t.match(await metrics.getSingleMetricAsString('voice_sbc_connected'), /sbc="secure"[^}]*\} 0/);

  // It comes back on the same port, TLS only: the pool's reconnect must be TLS to authenticate.
  const back = await startTestEdge({ app: { host: '127.0.0.1', port: appPort, secret: 'tls-secret', tls } });
  t.teardown(() => back.close());
  await waitFor(() => pool.get('secure')?.state === 'connected', {
    timeoutMs: 20_000,
    message: 'secure reconnected',
  });
  await waitFor(() => back.stats().apps === 1, { message: 'the restarted TLS edge counts the app' });
  t.ok((pool.get('secure')?.reconnects ?? 0) >= 1, 'reconnected by the pool');
  t.ok((await health.run()).checks.find((c) => c.name === 'sbc:secure')?.ok);

  // A call through the reconnected SBC reaches the app.
  const r1 = await runSipp({ scenario: 'uac', target: { port: back.sipPort }, calls: 1, timeoutMs: 20_000 });
  t.equal(r1.messages.find((m) => m.direction === 'received' && (m.status ?? 0) >= 400)?.status, 486);
  t.same(answered, ['secure']);

  // Drain the plain SBC: its INVITE route is removed (the edge answers 503 itself), no new call for us.
  pool.drain('plain');
  t.notOk(pool.get('plain')?.accepting);
  t.match(await metrics.getSingleMetricAsString('voice_sbc_draining'), /sbc="plain"[^}]*\} 1/);
  await new Promise((r) => setTimeout(r, 200));
  const r2 = await runSipp({
    scenario: 'uac',
    target: { port: plainEdge.sipPort },
    calls: 1,
    timeoutMs: 20_000,
  });
  t.equal(r2.messages.find((m) => m.direction === 'received' && (m.status ?? 0) >= 400)?.status, 503);
  t.same(answered, ['secure'], 'the drained SBC offered nothing');
});
