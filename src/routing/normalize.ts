// Called and calling numbers to E.164, by the conventions of the carrier they come from (tech prefix,
// national or international format, with or without '+', number in the Request-URI or in To), and
// back into the carrier's format for outbound calls. Pure: returns a result, never throws.
//
// Metadata: libphonenumber-js "max" (bench/routing.bench.ts measures it against "min": max is
// needed to tell the country of numbers sharing a calling code, e.g. +1 US/CA/Caribbean, which the
// in-country licensing rule depends on).
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export interface NumberingConvention {
  /** How the carrier writes numbers: '+E.164', E.164 digits without '+', or national format. */
  numberFormat: 'e164' | 'e164_no_plus' | 'national';
  /** Digits (or # *) the carrier puts before the number (stripped inbound, added outbound). */
  techPrefix: string;
  /** Country of national-format numbers. */
  nationalCountry?: string | undefined;
  /** Where the called number is: the Request-URI user part or the To user part. */
  calledNumberIn: 'request-uri' | 'to';
}

export const E164_CONVENTION: NumberingConvention = {
  numberFormat: 'e164',
  techPrefix: '',
  calledNumberIn: 'request-uri',
};

export type NormalizeFailure =
  'empty' | 'bad_characters' | 'missing_tech_prefix' | 'no_country' | 'not_a_number' | 'impossible_length';

export type NormalizeResult =
  | { ok: true; e164: string; country: string | undefined }
  | { ok: false; reason: NormalizeFailure; detail: string };

const fail = (reason: NormalizeFailure, detail: string): NormalizeResult => ({ ok: false, reason, detail });

/** The user part of a SIP URI ('sip:+1202...;npdi@host;user=phone' → '+1202...'), or undefined. */
export function uriUser(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  const m = /^(?:sips?|tel):([^@;?>]*)/i.exec(uri.trim().replace(/^.*</, ''));
  if (!m || !m[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** The called number as the carrier sends it: from the Request-URI or from the To URI. */
export function calledNumberOf(
  conv: Pick<NumberingConvention, 'calledNumberIn'>,
  msg: { requestUri: string; to?: string | undefined },
): string | undefined {
  return conv.calledNumberIn === 'to' ? uriUser(msg.to) : uriUser(msg.requestUri);
}

// Visual separators of RFC 3966 (and what people type) are dropped; anything else is refused.
const SEPARATORS = /[\s\-.()]/g;
const ALLOWED = /^\+?[0-9]+$/;

/** A number as written by a carrier (or customer trunk) to E.164. */
export function toE164(raw: string | undefined, conv: NumberingConvention): NormalizeResult {
  if (!raw) return fail('empty', 'no number');
  let s = raw.replace(SEPARATORS, '');
  if (conv.techPrefix) {
    if (!s.startsWith(conv.techPrefix))
      return fail('missing_tech_prefix', `expected tech prefix ${conv.techPrefix}`);
    s = s.slice(conv.techPrefix.length);
  }
  if (!s) return fail('empty', 'nothing after the tech prefix');
  if (!ALLOWED.test(s)) return fail('bad_characters', 'a number has digits and an optional leading +');
  let text: string;
  let country: CountryCode | undefined;
  if (s.startsWith('+')) text = s;
  else if (conv.numberFormat === 'national') {
    if (!conv.nationalCountry) return fail('no_country', 'national format without a country');
    text = s;
    country = conv.nationalCountry as CountryCode;
  } else text = `+${s}`;
  const parsed = parsePhoneNumberFromString(text, country ? { defaultCountry: country } : undefined);
  if (!parsed) return fail('not_a_number', 'not a phone number');
  if (!parsed.isPossible())
    return fail('impossible_length', `impossible length for +${parsed.countryCallingCode}`);
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/** The country of an E.164 number (undefined for non-geographic or unknown numbers). */
export function countryOfE164(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

/** An E.164 number written the way the carrier expects it (Request-URI / To user part). */
export function fromE164(e164: string, conv: NumberingConvention): string {
  let body: string;
  if (conv.numberFormat === 'e164') body = e164;
  else if (conv.numberFormat === 'e164_no_plus') body = e164.slice(1);
  else {
    const parsed = parsePhoneNumberFromString(e164);
    const home = conv.nationalCountry as CountryCode | undefined;
    // A number of another country is dialled from the carrier's country with its international prefix.
    const written =
      parsed && home
        ? parsed.country === home
          ? parsed.formatNational()
          : parsed.format('IDD', { fromCountry: home })
        : undefined;
    body = written ? written.replace(/[^0-9]/g, '') : e164.slice(1);
  }
  return conv.techPrefix + body;
}
