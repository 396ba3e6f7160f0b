// Numbers in SIP messages: the user part of a URI, and the called/calling number as E.164.
// Normalisation by carrier convention (national formats, tech prefixes) is the routing policy's;
// this accepts what every carrier sends unambiguously: "+E164" or E.164 digits, after the
// carrier's tech prefix.
import type { VoiceCarrierSettings } from '../plan/carrier-settings.js';

const E164 = /^\+[1-9][0-9]{5,14}$/;

/** User part of a SIP URI or of a name-addr ("Bob" <sip:+1202...@host;x=y>). */
export function userOf(value: string): string {
  const inner = /<([^>]*)>/.exec(value)?.[1] ?? value;
  const m = /^(?:sips?|tel):([^@;?>]+)/i.exec(inner.trim());
  return m ? decodeURIComponent(m[1] as string) : '';
}

export function normaliseCalledNumber(
  raw: string,
  v: Pick<VoiceCarrierSettings, 'techPrefix' | 'numberFormat'>,
  _country?: string,
): string | undefined {
  let n = raw.replace(/[\s().-]/g, '');
  if (v.techPrefix && n.startsWith(v.techPrefix)) n = n.slice(v.techPrefix.length);
  const e164 = n.startsWith('+') ? n : `+${n}`;
  return E164.test(e164) ? e164 : undefined;
}

/** The calling number when it is a number; anonymous and SIP user names give null. */
export function normaliseCallingNumber(raw: string): string | null {
  const n = raw.replace(/[\s().-]/g, '');
  if (/^\+?[1-9][0-9]{5,14}$/.test(n)) return n.startsWith('+') ? n : `+${n}`;
  return null;
}
