// Short-lived signed links to content (MMS media, recordings). The API serves them, decrypting on
// the way out, so a link never exposes ciphertext or a storage credential. A token is
// base64url(JSON payload) "." base64url(HMAC-SHA256(payload)); it carries its expiry.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LinkPayload {
  /** What the link opens, e.g. { kind: 'media', region: 'EURO', id: '…' }. */
  kind: string;
  region: string;
  id: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export class UrlSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('url signing key must be at least 32 bytes');
  }

  sign(payload: Omit<LinkPayload, 'exp'>, ttlSeconds: number, now = Date.now()): string {
    const body = Buffer.from(
      JSON.stringify({ ...payload, exp: Math.floor(now / 1000) + ttlSeconds }),
    ).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The payload of a valid, unexpired token; undefined otherwise (callers answer 404 either way). */
  verify(token: string, now = Date.now()): LinkPayload | undefined {
    const [body, mac] = token.split('.');
    if (!body || !mac) return undefined;
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let payload: LinkPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkPayload;
    } catch {
      return undefined;
    }
    return payload.exp * 1000 > now ? payload : undefined;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
