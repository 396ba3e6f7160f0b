// Flows e (app-originated call) and f (OPTIONS both ways, ping) of test/fixtures/drachtio-wire/.
import t from 'tap';
import { replayFlow, scenario } from '../support/conformance.js';
import { summarise } from '../support/drachtio-transcript.js';

t.test('e-app-uac: the app calls out and hangs up', async (t) => {
  const out = await replayFlow({ transcript: 'e-app-uac.txt', flow: 'uac', uas1: { scenario: 'uas' } });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uas[0]?.exitCode, 0, 'the callee completed its call');
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});

t.test('f-options: OPTIONS out and in, and a ping', async (t) => {
  const out = await replayFlow({
    transcript: 'f-options.txt',
    flow: 'options',
    uas1: { scenario: scenario('uas_options.xml') },
    uac: { scenario: scenario('uac_options.xml') },
  });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uac?.exitCode, 0, 'the OPTIONS sent to the edge was answered 200');
  t.equal(out.uas[0]?.exitCode, 0, 'the OPTIONS from the app reached its target');
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});
