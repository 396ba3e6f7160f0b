// GSM 03.38 default alphabet and its extension table (3GPP TS 23.038 §6.2.1). In SMPP with
// data_coding 0 the SMSC takes one septet per octet (unpacked); packing is the radio side's job.
// An extension character costs two septets: ESC (0x1B) then its code in the extension table.

// prettier-ignore
const BASIC = [
  '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
  'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\x1b', 'Æ', 'æ', 'ß', 'É',
  ' ', '!', '"', '#', '¤', '%', '&', "'", '(', ')', '*', '+', ',', '-', '.', '/',
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
  '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
  'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
  '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
  'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];

const EXTENSION: Record<number, string> = {
  0x0a: '\f',
  0x14: '^',
  0x28: '{',
  0x29: '}',
  0x2f: '\\',
  0x3c: '[',
  0x3d: '~',
  0x3e: ']',
  0x40: '|',
  0x65: '€',
};

export const ESC = 0x1b;
const basicCode = new Map<string, number>();
BASIC.forEach((ch, code) => {
  if (code !== ESC) basicCode.set(ch, code);
});
const extCode = new Map<string, number>(Object.entries(EXTENSION).map(([code, ch]) => [ch, Number(code)]));

/** The septets of one character, or undefined when it is not in the GSM alphabet. */
export function gsmSeptets(ch: string): number[] | undefined {
  const b = basicCode.get(ch);
  if (b !== undefined) return [b];
  const e = extCode.get(ch);
  return e === undefined ? undefined : [ESC, e];
}

/** True when every character of `text` is in the GSM 7-bit alphabet (basic or extension). */
export function fitsGsm(text: string): boolean {
  for (const ch of text) if (!basicCode.has(ch) && !extCode.has(ch)) return false;
  return true;
}

/** Unpacked septets (one per octet) of a GSM-encodable text. */
export function encodeGsm(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const s = gsmSeptets(ch);
    if (!s) throw new RangeError('character outside the GSM 03.38 alphabet');
    out.push(...s);
  }
  return Buffer.from(out);
}

/** Text of unpacked septets; an unknown extension code decodes as a space (23.038: "shall display space"). */
export function decodeGsm(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = (bytes[i] as number) & 0x7f;
    if (c === ESC && i + 1 < bytes.length) {
      const e = (bytes[++i] as number) & 0x7f;
      out += EXTENSION[e] ?? ' ';
    } else out += c === ESC ? ' ' : BASIC[c];
  }
  return out;
}
