// Digest header parsing and HA1 computation (RFC 2617 / 7616), pure.
import t from 'tap';
import { parseDigest } from '../../src/voice/guards/trunk-auth.js';
import { computeHa1, digestHash } from '../../src/accounts/sip-credentials.js';

t.test('parses quoted and token values, commas inside quotes, escapes', async (t) => {
  t.same(
    parseDigest(
      'Digest username="t01", realm="sip.example, inc", nonce="abc", uri="sip:+1@h;transport=tcp", response="0a", algorithm=MD5, cnonce="c\\"x", qop=auth, nc=00000001',
    ),
    {
      username: 't01',
      realm: 'sip.example, inc',
      nonce: 'abc',
      uri: 'sip:+1@h;transport=tcp',
      response: '0a',
      algorithm: 'MD5',
      cnonce: 'c"x',
      qop: 'auth',
      nc: '00000001',
    },
  );
  t.same(parseDigest('digest Username=x'), { username: 'x' }, 'scheme and names case-insensitive');
  t.equal(parseDigest('Basic dXNlcjpwYXNz'), undefined);
  t.equal(parseDigest('Digest '), undefined);
  t.equal(parseDigest(''), undefined);
});

t.test('HA1 for MD5 and SHA-256 (RFC 7616 section 3.9.1 example)', async (t) => {
  // RFC 7616 3.9.1: Mufasa / http-auth@example.org / Circle of Life
  const ha1 = computeHa1('Mufasa', 'http-auth@example.org', 'Circle of Life');
  t.equal(ha1.md5, digestHash('MD5', 'Mufasa:http-auth@example.org:Circle of Life'));
  const ha2 = digestHash('SHA-256', 'GET:/dir/index.html');
  const response = digestHash(
    'SHA-256',
    `${ha1.sha256}:7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:00000001:f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ:auth:${ha2}`,
  );
  t.equal(response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
});
