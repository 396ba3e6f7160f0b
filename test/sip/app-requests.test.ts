// Requests the app originates through the edge (a call and its BYE, OPTIONS), and OPTIONS from
// the network answered by the app.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { scenario } from '../support/conformance.js';
import { startTestEdge } from '../support/edge.js';
import { runSipp, startSipp } from '../support/sipp.js';
import { connectSrf, SDP } from '../support/srf.js';

t.test('the app places a call and hangs it up', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const callee = await startSipp({ scenario: 'uas', calls: 1 });
  await callee.ready();
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  const dialog = await srf.createUAC(`sip:service@127.0.0.1:${callee.port}`, {
    localSdp: SDP,
    headers: { 'X-Test': 'uac' },
  });
  t.match(dialog.id, /;from-tag=/, 'the dialog id is drachtio-shaped');
  dialog.destroy();
  const result = await callee.done;
  t.equal(result.exitCode, 0, 'the callee completed its call');
  const invite = result.messages.find((m) => m.direction === 'received' && m.method === 'INVITE');
  t.match(
    invite?.header('via'),
    /^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;rport;branch=z9hG4bK/,
    'the edge wrote the Via',
  );
  t.equal(invite?.header('max-forwards'), '70');
  t.match(invite?.header('from'), /^<sip:127\.0\.0\.1:\d+>;tag=\w+$/, 'the edge wrote From with a tag');
  t.match(invite?.header('contact'), /^<sip:127\.0\.0\.1:\d+>$/, 'the edge wrote Contact');
  t.equal(invite?.header('x-test'), 'uac', "the app's own header went out");
  const bye = result.messages.find((m) => m.direction === 'received' && m.method === 'BYE');
  t.ok(bye, 'the BYE reached the callee');
  t.match(
    bye?.startLine,
    /^BYE sip:127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0$/,
    "the BYE went to the callee's Contact",
  );
});

t.test('OPTIONS from the app to the network and from the network to the app', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const target = await startSipp({ scenario: scenario('uas_options.xml'), calls: 1 });
  await target.ready();
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  let incoming = 0;
  srf.options((_req, res) => {
    incoming += 1;
    res.send(200, { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS' } });
  });

  const status = await new Promise<number>((resolve, reject) => {
    (srf as any).request(
      `sip:service@127.0.0.1:${target.port}`,
      { method: 'OPTIONS' },
      (err: unknown, req: any) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else req.on('response', (res: any) => resolve(res.status));
      },
    );
  });

  t.equal(status, 200, 'the app got 200 for its OPTIONS');
  t.equal((await target.done).exitCode, 0, 'the target answered it');
  const caller = await runSipp({
    scenario: scenario('uac_options.xml'),
    target: { port: edge.sipPort },
    calls: 1,
  });
  t.equal(caller.exitCode, 0, 'the OPTIONS from the network got 200');
  t.equal(incoming, 1, 'the app answered it');
  const ok = caller.messages.find((m) => m.direction === 'received' && m.status === 200);
  t.equal(ok?.header('allow'), 'INVITE, ACK, CANCEL, BYE, OPTIONS', "the app's Allow header was sent");
});

t.test('the app re-INVITEs a caller it answered, and the edge ACKs the 2xx', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  let answer = '';
  srf.invite(async (req, res) => {
    const dlg = await srf.createUAS(req, res, { localSdp: SDP });
    answer = await dlg.modify(SDP.replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PCMU/8000\r\na=sendonly'));
  });
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    'support',
    'sipp',
    'uac_accept_reinvite.xml',
  );
  const caller = await runSipp({ scenario: { file }, target: { port: edge.sipPort }, calls: 1 });
  t.equal(caller.exitCode, 0, 'the caller got the re-INVITE, its ACK, and ended the call');
  const reinvite = caller.messages.filter((m) => m.direction === 'received' && m.method === 'INVITE')[0];
  t.match(reinvite?.text, /a=sendonly/, 'the re-INVITE carried the new offer');
  t.match(answer, /a=recvonly/, "the app got the caller's answer");
});
