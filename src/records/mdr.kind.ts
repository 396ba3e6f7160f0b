// The message detail record: one per message. Its status moves forward through writes that carry
// an increasing statusVersion; an older write (a replay, a late receipt) never moves it back.
import type { RecordKind } from './record-kind.js';

export type MessageDirection = 'inbound' | 'outbound';
export type MessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface Mdr {
  id: string;
  customerId: string;
  createdAt: Date;
  direction: MessageDirection;
  sender: string;
  recipient: string;
  parts: number;
  encoding?: string | null;
  status: MessageStatus;
  errorCode?: string | null;
  carrier?: string | null;
  media?: { size: number; mimeType: string }[] | null;
  statusVersion: number;
}

export const MDR: RecordKind<Mdr> = {
  name: 'mdr',
  table: 'mdrs',
  columns: [
    { name: 'id', type: 'uuid', value: (r) => r.id },
    { name: 'customer_id', type: 'uuid', value: (r) => r.customerId },
    { name: 'created_at', type: 'timestamptz', value: (r) => r.createdAt },
    { name: 'direction', type: 'text', value: (r) => r.direction },
    { name: 'sender', type: 'text', value: (r) => r.sender },
    { name: 'recipient', type: 'text', value: (r) => r.recipient },
    { name: 'parts', type: 'integer', value: (r) => r.parts },
    { name: 'encoding', type: 'text', value: (r) => r.encoding },
    { name: 'status', type: 'text', value: (r) => r.status },
    { name: 'error_code', type: 'text', value: (r) => r.errorCode },
    { name: 'carrier', type: 'text', value: (r) => r.carrier },
    { name: 'media', type: 'jsonb', value: (r) => r.media },
    { name: 'status_version', type: 'integer', value: (r) => r.statusVersion },
    { name: 'updated_at', type: 'timestamptz', value: () => new Date() },
  ],
  conflictKey: ['id', 'created_at'],
  upsert: {
    columns: [
      'status',
      'error_code',
      'carrier',
      'parts',
      'encoding',
      'media',
      'status_version',
      'updated_at',
    ],
    when: 'mdrs.status_version < EXCLUDED.status_version',
  },
  customerId: (r) => r.customerId,
  id: (r) => r.id,
};
