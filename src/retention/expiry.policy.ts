// When stored content and operational records expire. Pure: inputs in, a date out.
//
// Every piece of content (a recording, a message body, MMS media) gets its expiry when it is created,
// from its number's retention policy at that moment plus the configured safety buffer (privacy
// policy §6: "the retention period you set per number ... plus a brief safety buffer"). The expiry is
// the instant after which the content must be gone: the sweeper deletes what has expires_at <= now.
// Writers (recording, messaging) call contentExpiresAt(); nobody computes an expiry another way.
import type { RetentionSettings } from '../accounts/number-settings.js';
import { retentionDays } from '../accounts/number-settings.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** How long content is kept under `retention`, buffer included (exact milliseconds, no calendar). */
export function contentRetentionMs(retention: RetentionSettings, safetyBufferHours: number): number {
  if (!Number.isInteger(safetyBufferHours) || safetyBufferHours < 0)
    throw new RangeError('safetyBufferHours must be a non-negative integer');
  return retentionDays(retention) * DAY_MS + safetyBufferHours * HOUR_MS;
}

/** The expiry of content created at `createdAt` under `retention`, buffer included. */
export function contentExpiresAt(
  createdAt: Date,
  retention: RetentionSettings,
  safetyBufferHours: number,
): Date {
  if (!Number.isFinite(createdAt.getTime())) throw new RangeError('createdAt is not a valid date');
  return new Date(createdAt.getTime() + contentRetentionMs(retention, safetyBufferHours));
}

/** The expiry of an operational record (a SIP trace) kept `days` days (30-90 by policy). */
export function operationalExpiresAt(createdAt: Date, days: number): Date {
  if (!Number.isInteger(days) || days < 1 || days > 90)
    throw new RangeError('operational records keep 1-90 days');
  return new Date(createdAt.getTime() + days * DAY_MS);
}

/** Milliseconds an item has been overdue at `now` (0 when it is not). */
export function overdueMs(expiresAt: Date | undefined, now: Date): number {
  return expiresAt ? Math.max(0, now.getTime() - expiresAt.getTime()) : 0;
}
