// A 407 digest challenge from the app, then the authenticated INVITE answered (sipp computes
// the digest; the app checks it).
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { scenario } from '../support/conformance.js';
import { startTestEdge } from '../support/edge.js';
import { runSipp } from '../support/sipp.js';
import { connectSrf, SDP } from '../support/srf.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

t.test('a 407 challenge, then the authenticated INVITE is answered', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  const realm = 'acc.local';
  const nonces = new Set<string>();
  const verdicts: string[] = [];
  srf.invite(async (req, res) => {
    const auth = req.get('Proxy-Authorization');
    if (!auth) {
      const nonce = randomBytes(8).toString('hex');
      nonces.add(nonce);
      res.send(407, {
        headers: { 'Proxy-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` },
      });
      verdicts.push('challenged');
      return;
    }
    const p = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
    const expected = md5(`${md5(`alice:${realm}:s3cret`)}:${p.nonce}:${md5(`INVITE:${p.uri}`)}`);
    if (!nonces.has(p.nonce ?? '') || expected !== p.response) {
      verdicts.push('refused');
      res.send(403);
      return;
    }
    verdicts.push('accepted');
    await srf.createUAS(req, res, { localSdp: SDP });
  });
  const caller = await runSipp({
    scenario: scenario('uac_auth.xml'),
    target: { port: edge.sipPort },
    calls: 1,
  });
  t.equal(caller.exitCode, 0, 'the caller authenticated and completed its call');
  t.same(verdicts, ['challenged', 'accepted']);
  const challenge = caller.messages.find((m) => m.direction === 'received' && m.status === 407);
  t.match(
    challenge?.header('proxy-authenticate'),
    /^Digest realm="acc\.local"/,
    'the challenge went out as the app wrote it',
  );
  t.ok(
    caller.messages.some((m) => m.direction === 'received' && m.status === 200),
    'the caller got 200',
  );
});
