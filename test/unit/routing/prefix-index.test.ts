// Longest-prefix match with sorted arrays, checked against a brute-force scan on random tables.
import t from 'tap';
import { PrefixIndex } from '../../../src/routing/prefix-index.js';

t.test('finds the longest matching prefix, the default route, or nothing', async (t) => {
  const idx = new PrefixIndex([
    ['1', 'nanp'],
    ['1202', 'dc'],
    ['1202555', 'dc-555'],
    ['44', 'uk'],
    ['447', 'uk-mobile'],
    ['4479', 'uk-mobile-79'],
  ]);
  t.same(idx.match('12025550100'), { prefix: '1202555', value: 'dc-555' });
  t.same(idx.match('12025560100'), { prefix: '1202', value: 'dc' });
  t.same(idx.match('13035550100'), { prefix: '1', value: 'nanp' });
  t.same(idx.match('447700900123'), { prefix: '447', value: 'uk-mobile' });
  t.same(idx.match('447900900123'), { prefix: '4479', value: 'uk-mobile-79' });
  t.same(idx.match('442079460000'), { prefix: '44', value: 'uk' });
  t.equal(idx.match('33123456789'), undefined, 'no route for France');
  const withDefault = new PrefixIndex([
    ['', 'default'],
    ['33', 'fr'],
  ]);
  t.same(withDefault.match('4915123456789'), { prefix: '', value: 'default' });
  t.same(withDefault.match('33123456789'), { prefix: '33', value: 'fr' });
  t.equal(new PrefixIndex<string>([]).match('1'), undefined, 'empty table');
});

t.test('agrees with a brute-force scan on 2,000 random prefixes', async (t) => {
  let seed = 42;
  const rnd = (n: number) => {
    // mulberry32: integer-only, so the sequence does not degrade in floating point
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const digits = (len: number) => Array.from({ length: len }, () => rnd(10)).join('');
  const prefixes = Array.from({ length: 2000 }, () => digits(1 + rnd(6)));
  const idx = new PrefixIndex(prefixes.map((p) => [p, p] as const));
  let mismatches = 0;
  for (let i = 0; i < 5000; i++) {
    const key = digits(11);
    let best: string | undefined;
    for (const p of prefixes)
      if (key.startsWith(p) && (best === undefined || p.length > best.length)) best = p;
    if (idx.match(key)?.prefix !== best) mismatches++;
  }
  t.equal(mismatches, 0);
});
