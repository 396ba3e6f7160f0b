// Flows a (the app answers) and g (407 digest challenge) of test/fixtures/drachtio-wire/, replayed
// against the edge with the same app code and sipp scenarios; frames must match the transcript.
import t from 'tap';
import { replayFlow, scenario } from '../support/conformance.js';
import { summarise } from '../support/drachtio-transcript.js';

t.test('a-uas-answer: the app answers, the caller hangs up', async (t) => {
  const out = await replayFlow({
    transcript: 'a-uas-answer.txt',
    flow: 'uas',
    uac: { scenario: 'uac', callDurationMs: 1000 },
  });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uac?.exitCode, 0, 'the caller completed its call');
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});

t.test('g-auth-407: a 407 challenge, then the authenticated INVITE is answered', async (t) => {
  const out = await replayFlow({
    transcript: 'g-auth-407.txt',
    flow: 'auth',
    uac: { scenario: scenario('uac_auth.xml') },
  });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uac?.exitCode, 0, 'the caller completed its call');
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});
