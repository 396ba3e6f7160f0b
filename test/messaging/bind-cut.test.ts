// Faults on the SMPP side during outbound traffic: the SMSC closes its sockets in the middle of 1,000
// messages, and the SMSC throttles. Nothing accepted is lost; nothing is submitted twice except where
// its submit_sm_resp was lost, and then the MDR says so.
import t from 'tap';

t.setTimeout(300_000);
import { startTestApp, call } from '../support/app.js';
import { startSmsc } from '../support/smsc.js';
import { setupMessaging } from '../support/messaging.js';
import { waitFor } from '../support/wait.js';
import { SMPP_STATUS } from '../../src/messaging/smpp/raw-codec.js';
import type { App } from '../../src/app.js';

const fast = {
  api: { rateLimit: { max: 100_000 } },
  messaging: {
    bind: {
      enquireLinkMs: 2000,
      responseTimeoutMs: 2000,
      reconnectMinMs: 50,
      reconnectMaxMs: 300,
      throttlePauseMs: 50,
    },
    outbound: { pollIntervalMs: 200, retryMs: 200, submitWaitMs: 20_000 },
  },
};

async function sendMany(app: App, key: string, from: string, n: number, onProgress?: (i: number) => void) {
  const ids: string[] = new Array(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const r = await call(app, 'POST', '/v1/messages', key, { from, to: '+447911123456', text: `msg-${i}` });
      if (r.status !== 202) throw new Error(`message ${i}: ${r.status} ${JSON.stringify(r.body)}`);
      ids[i] = r.body.id as string;
      onProgress?.(i);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return ids;
}

async function mdrs(app: App) {
  const { rows } = await app.stores.router
    .region('NOAM')
    .query<{ id: string; status: string; possible_duplicate: boolean }>(
      `SELECT id, status, possible_duplicate FROM mdrs WHERE direction = 'outbound'`,
    );
  return new Map(rows.map((r) => [r.id, r]));
}

t.test(
  'bind cut during 1,000 outbound messages: every message submitted, duplicates only where the response was lost',
  async (t) => {
    // Besides the cuts, four submit_sm_resp are never sent: those messages are submitted again.
    const smsc = await startSmsc({ drop: (n) => n >= 100 && n < 104 });
    t.teardown(() => smsc.close());
    const app = await startTestApp(t, fast as never);
    const s = await setupMessaging(t, app, { smscs: [smsc], bindsPerSmsc: 2, windowSize: 10 });
    let cuts = 0;
    // Close the SMSC's sockets twice while traffic flows.
    const cutter = setInterval(() => {
      if ((smsc.submits.length > 250 && cuts === 0) || (smsc.submits.length > 650 && cuts === 1)) {
        cuts++;
        smsc.cut();
      }
    }, 5);
    t.teardown(() => clearInterval(cutter));
    const ids = await sendMany(app, s.key, s.number, 1000);
    await waitFor(
      async () => {
        const m = await mdrs(app);
        return [...m.values()].filter((r) => r.status === 'sent').length === 1000;
      },
      { message: 'all 1,000 sent', timeoutMs: 120_000, intervalMs: 250 },
    );
    clearInterval(cutter);
    t.equal(cuts, 2, 'the binds were cut twice mid-traffic');
    const byText = new Map<string, number>();
    for (const sub of smsc.submits) byText.set(sub.text, (byText.get(sub.text) ?? 0) + 1);
    const m = await mdrs(app);
    let duplicates = 0;
    let missing = 0;
    let unflagged = 0;
    for (const [i, id] of ids.entries()) {
      const n = byText.get(`msg-${i}`) ?? 0;
      if (n === 0) missing++;
      if (n > 1) {
        duplicates++;
        if (!m.get(id)?.possible_duplicate) unflagged++;
      }
    }
    t.equal(missing, 0, 'every message reached the SMSC');
    t.equal(unflagged, 0, `every message submitted twice (${duplicates}) has possible_duplicate in its MDR`);
    const flagged = [...m.values()].filter((r) => r.possible_duplicate).length;
    t.ok(duplicates >= 4, `${duplicates} submitted twice (at least the four unanswered)`);
    t.ok(flagged >= duplicates, `${flagged} flagged, ${duplicates} seen twice`);
    t.ok(smsc.binds.length >= 4, 'binds re-established after each cut');
    const ready = await app.api.inject({ method: 'GET', url: '/readyz' });
    t.match(ready.body, /smpp:agg-1-b0/, 'bind state in /readyz');
    const metrics = await app.metrics.metrics();
    t.match(metrics, /messaging_binds_up\{[^}]*bind="agg-1-b0"[^}]*\} 1/);
  },
);

t.test('throttling from the SMSC slows the sender without failures', async (t) => {
  const smsc = await startSmsc({
    statusFor: (n) =>
      n < 250 && n % 5 === 0 ? (n % 2 ? SMPP_STATUS.ESME_RTHROTTLED : SMPP_STATUS.ESME_RMSGQFUL) : 0,
  });
  t.teardown(() => smsc.close());
  const app = await startTestApp(t, fast as never);
  const s = await setupMessaging(t, app, { smscs: [smsc], windowSize: 10 });
  await sendMany(app, s.key, s.number, 300);
  await waitFor(
    async () => [...(await mdrs(app)).values()].filter((r) => r.status === 'sent').length === 300,
    { message: 'all 300 sent', timeoutMs: 120_000, intervalMs: 250 },
  );
  const failed = [...(await mdrs(app)).values()].filter((r) => r.status === 'failed').length;
  t.equal(failed, 0, 'no message failed');
  const metrics = await app.metrics.metrics();
  const throttled = Number(/messaging_throttled_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  t.ok(throttled >= 40, `throttled ${throttled} times`);
});
