import t from 'tap';
import { RiskList } from '../../../src/routing/risk.js';

t.test('risk list: longest entry decides; + optional', async (t) => {
  const risk = new RiskList([
    { prefix: '1900', reason: 'premium_rate', action: 'block' },
    { prefix: '882', reason: 'high_risk', action: 'block' },
    { prefix: '44', reason: 'high_risk', action: 'expensive' },
    { prefix: '4470', reason: 'premium_rate', action: 'block' },
  ]);
  t.same(risk.check('+19005550100'), { prefix: '1900', reason: 'premium_rate', action: 'block' });
  t.same(risk.check('88213123456'), { prefix: '882', reason: 'high_risk', action: 'block' });
  t.equal(risk.check('+442079460000')?.action, 'expensive');
  t.equal(risk.check('+447012345678')?.action, 'block', 'a longer block entry inside an expensive range');
  t.equal(risk.check('+12025550100'), undefined);
  t.equal(new RiskList([]).check('+19005550100'), undefined);
});
