// Who is making a change: written into every audit record.
import type { Region } from '../config/index.js';

export type Principal =
  | { kind: 'operator'; keyId: string }
  | { kind: 'customer'; keyId: string; customerId: string; region: Region }
  | { kind: 'system'; name: string };

export function actorName(p: Principal): string {
  switch (p.kind) {
    case 'operator':
      return `operator-key:${p.keyId}`;
    case 'customer':
      return `customer-key:${p.keyId}`;
    case 'system':
      return `system:${p.name}`;
  }
}
