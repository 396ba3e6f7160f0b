// Webhook signatures. Each customer has its own HMAC key, derived from the messaging signing key so
// every instance agrees without storing per-customer secrets; the customer reads it from the API.
//
//   Webhook-Timestamp: <unix seconds>
//   Webhook-Signature: v1=<hex HMAC-SHA256(customer key, "<timestamp>.<raw body>")>
//
// A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant time and
// refuses timestamps too far from its clock (replays).
import { createHmac, timingSafeEqual } from 'node:crypto';

export function customerSigningKey(master: Buffer, customerId: string): string {
  return createHmac('sha256', master).update(`webhook-signing:${customerId}`).digest('base64url');
}

export function signPayload(key: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function verifySignature(
  key: string,
  timestamp: string,
  body: string,
  signature: string,
  nowSec = Math.floor(Date.now() / 1000),
  toleranceSec = 300,
): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const expected = Buffer.from(signPayload(key, ts, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
