// Helpers for record tests: customers registered in the directory, and CDRs/MDRs to write.
import { randomUUID } from 'node:crypto';
import type { Region } from '../../src/config/index.js';
import type { Cdr, Mdr } from '../../src/records/index.js';
import type { Stores } from '../../src/store/stores.js';

/** Registers a customer in the control-plane directory and in its region's customers table. */
export async function addCustomer(stores: Stores, region: Region, name = 'Test customer'): Promise<string> {
  const id = randomUUID();
  await stores.control.query('INSERT INTO customer_directory (customer_id, region) VALUES ($1, $2)', [
    id,
    region,
  ]);
  await stores.router
    .region(region)
    .query('INSERT INTO customers (id, name, billing_region) VALUES ($1, $2, $3)', [id, name, region]);
  return id;
}

export function makeCdr(customerId: string, overrides: Partial<Cdr> = {}): Cdr {
  const startedAt = new Date();
  return {
    id: randomUUID(),
    customerId,
    startedAt,
    direction: 'inbound',
    calling: '+14155550100',
    called: '+442071838750',
    answeredAt: new Date(startedAt.getTime() + 2000),
    endedAt: new Date(startedAt.getTime() + 62_000),
    durationMs: 60_000,
    pddMs: 1800,
    disposition: 'answered',
    finalStatus: 200,
    hangupBy: 'caller',
    sbc: 'nyc1-sbc1',
    sipCallId: `${randomUUID()}@test`,
    route: { kind: 'did', destination: 'sip:pbx@customer.example' },
    attempts: [{ target: 'sip:pbx@customer.example', startedAt: startedAt.toISOString(), status: 200 }],
    recording: null,
    ...overrides,
  };
}

export function makeMdr(customerId: string, overrides: Partial<Mdr> = {}): Mdr {
  return {
    id: randomUUID(),
    customerId,
    createdAt: new Date(),
    direction: 'outbound',
    sender: '+14155550100',
    recipient: '+447700900123',
    parts: 1,
    encoding: 'gsm7',
    status: 'queued',
    statusVersion: 1,
    ...overrides,
  };
}
