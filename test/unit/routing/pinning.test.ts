import t from 'tap';
import { pinningDecision } from '../../../src/routing/pinning.js';

const london = { name: 'lon1', country: 'GB', region: 'EURO', sipUri: 'sip:lon1.sbc.example.com' };
const frankfurt = { name: 'fra1', country: 'DE', region: 'EURO', sipUri: 'sip:fra1.sbc.example.com' };
const ashburn = { name: 'iad1', country: 'US', region: 'NOAM' };
const sbcs = [london, frankfurt, ashburn];
const uk = { numberCountry: 'GB', numberRegion: 'EURO', sbcs };

t.test('pinning: country, region, none; refuse or redirect', async (t) => {
  t.same(pinningDecision({ ...uk, pin: 'country', at: london, mode: 'refuse' }), { ok: true });
  t.same(pinningDecision({ ...uk, pin: 'country', at: frankfurt, mode: 'refuse' }), {
    ok: false,
    action: 'refuse',
    status: 403,
    reason: 'wrong_colocation',
  });
  t.same(pinningDecision({ ...uk, pin: 'country', at: ashburn, mode: 'redirect' }), {
    ok: false,
    action: 'redirect',
    status: 302,
    contact: 'sip:lon1.sbc.example.com',
    target: 'lon1',
  });
  t.same(
    pinningDecision({ ...uk, pin: 'region', at: frankfurt, mode: 'refuse' }),
    { ok: true },
    'same region',
  );
  t.equal(pinningDecision({ ...uk, pin: 'region', at: ashburn, mode: 'refuse' }).ok, false);
  t.same(pinningDecision({ ...uk, pin: 'none', at: ashburn, mode: 'refuse' }), { ok: true });
  t.same(pinningDecision({ ...uk, pin: undefined, at: ashburn, mode: 'refuse' }), { ok: true });
  t.match(
    pinningDecision({
      ...uk,
      sbcs: [ashburn, { ...london, sipUri: undefined }],
      pin: 'country',
      at: ashburn,
      mode: 'redirect',
    }),
    { action: 'refuse' },
    'no reachable pinned SBC: refused',
  );
});
