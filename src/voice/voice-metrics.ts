// The voice feature's metrics (catalogue: docs/metrics.md, section "SBC connections and calls").
// Carrier labels are carrier names from the routing plan (bounded); 'none' when no carrier is involved.
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../platform/metrics.js';

export type VoiceMetrics = ReturnType<typeof voiceMetrics>;

export function voiceMetrics(r: Registry) {
  return {
    calls: counter(r, 'voice_calls_total', 'Calls ended, by direction, carrier and disposition', [
      'direction',
      'carrier',
      'disposition',
    ]),
    active: gauge(r, 'voice_active_calls', 'Calls in progress on this instance (set up or answered)', [
      'direction',
    ]),
    pdd: histogram(
      r,
      'voice_post_dial_delay_seconds',
      'Post-dial delay: INVITE received to first ringing (or answer)',
      ['direction'],
      [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20],
    ),
    attempts: counter(r, 'voice_carrier_attempts_total', 'B-leg attempts to carriers (seizures)', [
      'carrier',
    ]),
    answered: counter(r, 'voice_carrier_answered_total', 'B-leg attempts to carriers that were answered', [
      'carrier',
    ]),
    duration: counter(
      r,
      'voice_carrier_call_duration_seconds_total',
      'Summed duration of answered calls per carrier (ACD = this / voice_carrier_answered_total)',
      ['carrier'],
    ),
    failovers: counter(r, 'voice_failovers_total', 'Failovers to the next target, by carrier left and why', [
      'carrier',
      'outcome',
    ]),
    rejections: counter(
      r,
      'voice_rejections_total',
      'Calls refused by call control before any B leg, by reason (policy reasons included)',
      ['reason'],
    ),
    unrecorded: counter(
      r,
      'calls_unrecorded_total',
      'Calls whose number asks for recording but that went on without it, by reason',
      ['reason'],
    ),
    recordsFailed: counter(r, 'voice_records_failed_total', 'CDRs or SIP traces the records writer refused', [
      'kind',
    ]),
  };
}
