// SDP policy applied to an offer or answer before the far side sees it (sdp-transform): the trunk's
// codec allow-list and order, media lines the far side must not see (removed; see restoreDropped for
// the answer to the original side), RTP/AVP versus RTP/SAVP, ptime, and an origin line without
// product or host names. 488 when no audio codec survives or the SRTP policies cannot meet.
import * as sdpTransform from 'sdp-transform';

export interface SdpPolicy {
  /** Codec names in order of preference (case-insensitive); telephone-event only if listed. */
  codecs: readonly string[];
  /** forbid: plain RTP only; require: SRTP only; optional: what the offer has. */
  srtp: 'forbid' | 'optional' | 'require';
  ptime?: number | undefined;
  /** Media types removed, e.g. ['video']. */
  dropMedia: readonly string[];
}

export type SdpRejectReason =
  'unparsable' | 'no_media' | 'no_common_codec' | 'srtp_required' | 'srtp_not_allowed';

export type SdpResult =
  | {
      sdp: string;
      /** Codecs kept in the first audio stream, in order. */
      codecs: string[];
      /** Indexes of the original m= lines removed (to reject them in the answer to the original side). */
      dropped: number[];
    }
  | { reject: 488; reason: SdpRejectReason; detail: string };

// Static payload types (RFC 3551) that may come without an rtpmap line.
const STATIC: Record<number, string> = { 0: 'PCMU', 3: 'GSM', 4: 'G723', 8: 'PCMA', 9: 'G722', 18: 'G729' };

const isSecure = (proto: string) => /SAVP/i.test(proto);
const secureOf = (proto: string) => (isSecure(proto) ? proto : proto.replace(/AVP/i, 'SAVP'));
const plainOf = (proto: string) => proto.replace(/SAVP/i, 'AVP');

type Media = sdpTransform.MediaDescription;

export function applySdpPolicy(sdp: string, policy: SdpPolicy): SdpResult {
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(sdp);
  } catch (err) {
    return { reject: 488, reason: 'unparsable', detail: (err as Error).message };
  }
  if (!session.media?.length || !session.origin)
    return { reject: 488, reason: 'unparsable', detail: 'no origin or media lines' };
  const order = new Map(policy.codecs.map((c, i) => [c.toLowerCase(), i]));
  const drop = new Set(policy.dropMedia.map((d) => d.toLowerCase()));
  const kept: Media[] = [];
  const dropped: number[] = [];
  let audioCodecs: string[] | undefined;
  let noCodec = false;
  for (const [index, m] of session.media.entries()) {
    if (drop.has(m.type.toLowerCase()) || m.port === 0) {
      // A stream already rejected (port 0) is kept out too: nothing to negotiate there.
      dropped.push(index);
      continue;
    }
    if (/RTP/i.test(m.protocol)) {
      const secure = isSecure(m.protocol);
      if (policy.srtp === 'require' && !secure)
        return { reject: 488, reason: 'srtp_required', detail: `${m.type} offered as ${m.protocol}` };
      if (policy.srtp === 'forbid' && secure)
        return { reject: 488, reason: 'srtp_not_allowed', detail: `${m.type} offered as ${m.protocol}` };
      const codecs = filterCodecs(m, order);
      if (codecs.length === 0 || codecs.every((c) => c.toLowerCase() === 'telephone-event')) {
        noCodec = true;
        dropped.push(index);
        continue;
      }
      if (policy.srtp === 'require') m.protocol = secureOf(m.protocol);
      if (policy.srtp === 'forbid') {
        m.protocol = plainOf(m.protocol);
        delete m.crypto;
      }
      if (m.type === 'audio') {
        audioCodecs ??= codecs;
        if (policy.ptime) {
          m.ptime = policy.ptime;
          if (m.maxptime !== undefined && m.maxptime < policy.ptime) m.maxptime = policy.ptime;
        }
      }
    }
    kept.push(m);
  }
  if (kept.length === 0 && !noCodec)
    return { reject: 488, reason: 'no_media', detail: 'no media stream survives the policy' };
  if (!audioCodecs)
    return { reject: 488, reason: 'no_common_codec', detail: `no audio codec in ${policy.codecs.join(',')}` };
  session.media = kept;
  // A BUNDLE group naming removed streams would be invalid; mids of kept streams stay.
  if (session.groups) {
    const mids = new Set(kept.map((m) => String(m.mid ?? '')));
    session.groups = session.groups
      .map((g) => ({
        ...g,
        mids: g.mids
          .split(' ')
          .filter((x) => mids.has(x))
          .join(' '),
      }))
      .filter((g) => g.mids.length > 0);
  }
  // Topology hiding: no product name or user in o= and s= (addresses stay: media flows there).
  session.origin.username = '-';
  session.name = '-';
  return { sdp: sdpTransform.write(session), codecs: audioCodecs, dropped };
}

/** Keeps allowed payloads in allow-list order (ties: offer order); returns their codec names. */
function filterCodecs(m: Media, order: ReadonlyMap<string, number>): string[] {
  const payloads = String(m.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const names = new Map<number, string>();
  for (const r of m.rtp ?? []) names.set(r.payload, r.codec);
  const allowed = payloads
    .map((p, i) => ({ p, i, name: names.get(p) ?? STATIC[p] }))
    .filter((x): x is { p: number; i: number; name: string } => !!x.name && order.has(x.name.toLowerCase()))
    .sort(
      (a, b) => (order.get(a.name.toLowerCase()) ?? 0) - (order.get(b.name.toLowerCase()) ?? 0) || a.i - b.i,
    );
  const keep = new Set(allowed.map((x) => x.p));
  m.payloads = allowed.map((x) => x.p).join(' ');
  m.rtp = (m.rtp ?? []).filter((r) => keep.has(r.payload));
  m.fmtp = (m.fmtp ?? []).filter((f) => keep.has(f.payload));
  if (m.rtcpFb) m.rtcpFb = m.rtcpFb.filter((f) => f.payload === '*' || keep.has(Number(f.payload)));
  return allowed.map((x) => x.name);
}

/**
 * The answer to send back to the side whose offer lost some m= lines: the far side's answer with the
 * removed streams put back in their places as rejected (port 0), as RFC 3264 requires the answer to
 * have as many m= lines as the offer.
 */
export function restoreDropped(originalOffer: string, farAnswer: string, dropped: readonly number[]): string {
  if (dropped.length === 0) return farAnswer;
  const offer = sdpTransform.parse(originalOffer);
  const answer = sdpTransform.parse(farAnswer);
  const out: Media[] = [];
  const answered = [...answer.media];
  for (const [index, m] of offer.media.entries()) {
    if (dropped.includes(index)) {
      const first = String(m.payloads ?? '').split(/\s+/)[0] ?? '0';
      out.push({ type: m.type, port: 0, protocol: m.protocol, payloads: first, rtp: [], fmtp: [] });
    } else {
      const next = answered.shift();
      if (next) out.push(next);
    }
  }
  answer.media = out;
  return sdpTransform.write(answer);
}
