// SIP digest credentials of customer trunks. Digest verification (RFC 2617/7616) needs
// HA1 = H(username:realm:password) on the server, and HA1 alone lets anyone answer a challenge of that
// realm: it is a password equivalent. A one-way password hash (scrypt) cannot verify a digest
// response, so HA1 is stored sealed with the Envelope (region key, per-row data key) and opened only
// while a challenge is verified. The password itself is never stored.
import { createHash, randomBytes } from 'node:crypto';
import type { Envelope } from '../crypto/index.js';

export type DigestAlgorithm = 'MD5' | 'SHA-256';

export interface Ha1Set {
  md5: string;
  sha256: string;
}

export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text)
    .digest('hex');
}

export function computeHa1(username: string, realm: string, password: string): Ha1Set {
  const a1 = `${username}:${realm}:${password}`;
  return { md5: digestHash('MD5', a1), sha256: digestHash('SHA-256', a1) };
}

/** Associated data binding a sealed HA1 to its trunk: a blob copied to another row does not open. */
const context = (trunkId: string) => `sip-trunk-ha1:${trunkId}`;

export async function sealHa1(envelope: Envelope, ring: string, trunkId: string, ha1: Ha1Set) {
  return envelope.seal(ring, Buffer.from(JSON.stringify(ha1)), context(trunkId));
}

export async function openHa1(envelope: Envelope, trunkId: string, sealed: Buffer): Promise<Ha1Set> {
  return JSON.parse((await envelope.open(sealed, context(trunkId))).toString('utf8')) as Ha1Set;
}

export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Digest usernames are generated, which keeps them unique across every region without an index. */
export function newDigestUsername(): string {
  return `t${randomBytes(8).toString('hex')}`;
}
