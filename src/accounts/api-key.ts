// API keys: "rc_<scope>_<id>_<secret>". The scope says where the key lives ("op" for operator keys
// in the control plane, a region name in lower case for customer keys), the id finds the row, and
// only the secret is checked against the stored scrypt hash (compared in constant time).
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { REGIONS, type Region } from '../config/index.js';

const scrypt = (secret: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(secret, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );

// N=2^14, r=8, p=1: ~16 MiB and ~40 ms per hash; verified keys are then cached (see authenticator).
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export type KeyScope = { kind: 'operator' } | { kind: 'customer'; region: Region };

export interface ParsedKey {
  scope: KeyScope;
  id: string;
  secret: string;
}

export function parseApiKey(token: string): ParsedKey | undefined {
  const m = /^rc_([a-z]+)_([0-9a-f]{16})_([A-Za-z0-9_-]{32,64})$/.exec(token);
  if (!m) return undefined;
  const [, scope, id, secret] = m as unknown as [string, string, string, string];
  if (scope === 'op') return { scope: { kind: 'operator' }, id, secret };
  const region = REGIONS.find((r) => r.toLowerCase() === scope);
  return region ? { scope: { kind: 'customer', region }, id, secret } : undefined;
}

export function newApiKey(scope: KeyScope): { id: string; secret: string; token: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const prefix = scope.kind === 'operator' ? 'op' : scope.region.toLowerCase();
  return { id, secret, token: `rc_${prefix}_${id}_${secret}` };
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, 32, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: PARAMS.maxmem,
  });
  return timingSafeEqual(expected, actual);
}
