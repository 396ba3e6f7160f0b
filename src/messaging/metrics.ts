// Messaging metrics. Labels are bounded: direction, aggregator (carrier name), bind name, status,
// channel, outcome; never numbers or message ids.
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../platform/metrics.js';

export function messagingMetrics(r: Registry) {
  return {
    messages: counter(r, 'messaging_messages_total', 'Messages by direction, aggregator and status reached', [
      'direction',
      'aggregator',
      'status',
    ]),
    rejected: counter(r, 'messaging_rejected_total', 'Messages refused before acceptance, by reason', [
      'direction',
      'reason',
    ]),
    submitLatency: histogram(
      r,
      'messaging_submit_seconds',
      'From acceptance to the last submit_sm_resp of an outbound message',
      ['aggregator'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    receiptLatency: histogram(
      r,
      'messaging_receipt_seconds',
      'From submission to the final delivery receipt',
      ['aggregator'],
      [0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 7200],
    ),
    receipts: counter(
      r,
      'messaging_receipts_total',
      'Delivery receipts by outcome (matched, early, unmatched)',
      ['aggregator', 'outcome'],
    ),
    regionUnavailable: counter(
      r,
      'messaging_region_unavailable_total',
      'Operations refused or deferred because the region database could not be reached',
      ['operation'],
    ),
    inboundBatchRows: histogram(
      r,
      'messaging_inbound_batch_rows',
      'Inbound messages written per multi-row statement (group commit of concurrent deliver_sm)',
      [],
      [1, 2, 5, 10, 25, 50, 100, 200],
    ),
    bindsUp: gauge(r, 'messaging_binds_up', '1 while the SMPP bind is bound', ['aggregator', 'bind']),
    windowInUse: gauge(r, 'messaging_bind_window_in_use', 'Outstanding submit_sm on the bind', ['bind']),
    throttled: counter(r, 'messaging_throttled_total', 'ESME_RTHROTTLED / ESME_RMSGQFUL answers', ['bind']),
    protocolErrors: counter(r, 'messaging_protocol_errors_total', 'Malformed, unknown or nacked PDUs', [
      'bind',
      'kind',
    ]),
    resubmitted: counter(
      r,
      'messaging_resubmitted_total',
      'Messages submitted again after their submit_sm_resp was lost',
      ['aggregator'],
    ),
    failovers: counter(r, 'messaging_failovers_total', 'Outbound messages moved to the next aggregator', [
      'aggregator',
      'reason',
    ]),
    inboundParts: counter(r, 'messaging_inbound_parts_total', 'Parts of concatenated inbound messages', [
      'outcome',
    ]),
    deliveryAttempts: counter(r, 'messaging_delivery_attempts_total', 'Webhook and mail delivery attempts', [
      'channel',
      'outcome',
    ]),
    deliveryDead: counter(r, 'messaging_delivery_dead_total', 'Deliveries dead-lettered after retrying', [
      'channel',
    ]),
    deliveryLatency: histogram(
      r,
      'messaging_delivery_seconds',
      'From the message being recorded to its successful delivery',
      ['channel'],
      [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 5, 30, 300, 3600],
    ),
    oldestUndelivered: gauge(
      r,
      'messaging_oldest_undelivered_seconds',
      'Age of the oldest pending delivery (webhook, mail) in the regions this instance serves',
      ['channel'],
    ),
  };
}

export type MessagingMetrics = ReturnType<typeof messagingMetrics>;
