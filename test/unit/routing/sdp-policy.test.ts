// SDP policy: codec allow-list and order, dropped media, SRTP, ptime, 488s, answer restoration.
import t from 'tap';
import * as sdpTransform from 'sdp-transform';
import { applySdpPolicy, restoreDropped, type SdpPolicy } from '../../../src/routing/sdp-policy.js';

const OFFER = [
  'v=0',
  'o=FreeSWITCH 1700000000 1700000001 IN IP4 203.0.113.10',
  's=FreeSWITCH',
  'c=IN IP4 203.0.113.10',
  't=0 0',
  'm=audio 40000 RTP/AVP 9 0 8 18 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  'm=video 40002 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=sendrecv',
  '',
].join('\r\n');

const policy = (over: Partial<SdpPolicy> = {}): SdpPolicy => ({
  codecs: ['PCMA', 'PCMU', 'telephone-event'],
  srtp: 'optional',
  dropMedia: ['video'],
  ...over,
});

t.test('keeps allowed codecs in the allow-list order and drops video', async (t) => {
  const r = applySdpPolicy(OFFER, policy());
  if (!('sdp' in r)) return t.fail(`rejected: ${r.reason}`);
  t.same(r.codecs, ['PCMA', 'PCMU', 'telephone-event']);
  t.same(r.dropped, [1]);
  const out = sdpTransform.parse(r.sdp);
  t.equal(out.media.length, 1);
  t.equal(out.media[0]?.payloads, '8 0 101');
  t.same(
    out.media[0]?.rtp.map((x) => x.payload),
    [0, 8, 101],
  );
  t.same(
    out.media[0]?.fmtp.map((x) => x.payload),
    [101],
    'fmtp of removed codecs removed',
  );
  t.notMatch(r.sdp, /FreeSWITCH/, 'no product name in o= or s=');
  t.notMatch(r.sdp, /H264|m=video/);
  t.match(r.sdp, /c=IN IP4 203\.0\.113\.10/, 'media address kept');
});

t.test('static payload types without rtpmap are recognised', async (t) => {
  const sdp =
    'v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0 8\r\n';
  const r = applySdpPolicy(sdp, policy({ codecs: ['PCMA'] }));
  if (!('sdp' in r)) return t.fail(r.reason);
  t.same(r.codecs, ['PCMA']);
  t.match(r.sdp, /m=audio 5004 RTP\/AVP 8\r\n/);
});

t.test('488 when no codec survives', async (t) => {
  t.same(applySdpPolicy(OFFER, policy({ codecs: ['opus', 'AMR'] })), {
    reject: 488,
    reason: 'no_common_codec',
    detail: 'no audio codec in opus,AMR',
  });
  const r = applySdpPolicy(OFFER, policy({ codecs: ['telephone-event'] }));
  t.equal('reject' in r && r.reason, 'no_common_codec', 'DTMF alone is not a codec');
  const r2 = applySdpPolicy(OFFER, policy({ dropMedia: ['audio', 'video'] }));
  t.equal('reject' in r2 && r2.reason, 'no_media');
  const r3 = applySdpPolicy('this is not sdp', policy());
  t.equal('reject' in r3 && r3.reason, 'unparsable');
});

t.test('SRTP: forbid, require, optional', async (t) => {
  const srtpOffer = OFFER.replace('m=audio 40000 RTP/AVP', 'm=audio 40000 RTP/SAVP').replace(
    'a=sendrecv',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=sendrecv',
  );
  const forbid = applySdpPolicy(srtpOffer, policy({ srtp: 'forbid' }));
  t.same('reject' in forbid && forbid.reason, 'srtp_not_allowed');
  const require = applySdpPolicy(OFFER, policy({ srtp: 'require' }));
  t.same('reject' in require && require.reason, 'srtp_required');
  const ok = applySdpPolicy(srtpOffer, policy({ srtp: 'require' }));
  t.ok('sdp' in ok && /RTP\/SAVP/.test(ok.sdp) && /a=crypto/.test(ok.sdp));
  const optional = applySdpPolicy(srtpOffer, policy({ srtp: 'optional' }));
  t.ok('sdp' in optional && /RTP\/SAVP/.test(optional.sdp));
  const plainWithCrypto = OFFER.replace(
    'a=sendrecv',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\r\na=sendrecv',
  );
  const stripped = applySdpPolicy(plainWithCrypto, policy({ srtp: 'forbid' }));
  t.ok(
    'sdp' in stripped && !/a=crypto/.test(stripped.sdp),
    'best-effort crypto removed when SRTP is forbidden',
  );
});

t.test('ptime is set on audio', async (t) => {
  const r = applySdpPolicy(OFFER, policy({ ptime: 30 }));
  t.ok('sdp' in r && /a=ptime:30/.test(r.sdp) && !/a=ptime:20/.test(r.sdp));
});

t.test('answer to the original side gets the dropped streams back as rejected', async (t) => {
  const r = applySdpPolicy(OFFER, policy());
  if (!('sdp' in r)) return t.fail(r.reason);
  const farAnswer =
    'v=0\r\no=- 2 2 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n';
  const answer = sdpTransform.parse(restoreDropped(OFFER, farAnswer, r.dropped));
  t.same(
    answer.media.map((m) => [m.type, m.port]),
    [
      ['audio', 30000],
      ['video', 0],
    ],
  );
  t.equal(restoreDropped(OFFER, farAnswer, []), farAnswer);
});
