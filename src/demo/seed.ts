// The demo a newcomer gets on the first start of the embedded defaults: an operator key, a customer
// with its own key, a carrier whose gateway is 127.0.0.1 (so a local sipp counts as the carrier) and a
// number routed to a local SIP endpoint. The keys are shown once on the terminal and kept in
// <dataDir>/demo-credentials.txt (mode 600): they never go to the logs.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { PlanService } from '../plan/plan.service.js';

const SYSTEM = { kind: 'system' as const, name: 'demo-seed' };
export const DEMO_NUMBER = '+12025550100';
export const DEMO_DESTINATION = 'sip:demo@127.0.0.1:5080';

export interface DemoSeed {
  operatorKey: string;
  customerKey: string;
  customerId: string;
  number: string;
}

export async function seedDemo(deps: {
  control: Db;
  accounts: AccountsService;
  plan: PlanService;
  dataDir: string;
  apiUrl: string;
  print: (text: string) => void;
}): Promise<DemoSeed | undefined> {
  const claimed = await deps.control.query(
    `INSERT INTO control_facts (key, value) VALUES ('demo_seeded', to_jsonb(now())) ON CONFLICT (key) DO NOTHING`,
  );
  if (claimed.rowCount === 0) return undefined;

  const { token: operatorKey } = await deps.accounts.createOperatorKey(SYSTEM, 'demo operator');
  const customer = await deps.accounts.createCustomer(SYSTEM, { name: 'Demo Customer', region: 'NOAM' });
  const { token: customerKey } = await deps.accounts.createCustomerKey(
    SYSTEM,
    customer.id,
    'demo customer key',
  );
  const carrier = await deps.plan.createCarrier(SYSTEM, {
    name: 'Demo Carrier',
    category: 'tier1_voice',
    countries: ['US'],
    regions: ['NOAM'],
    status: 'active',
    settings: {},
  });
  await deps.plan.createGateway(SYSTEM, {
    carrierId: carrier.id,
    direction: 'both',
    host: '127.0.0.1',
    port: 5070,
    transport: 'udp',
    priority: 100,
    settings: {},
  });
  await deps.plan.createRoute(SYSTEM, {
    kind: 'voice',
    prefix: '',
    carrierId: carrier.id,
    priority: 100,
    cost: 0.01,
  });
  await deps.accounts.createNumber(SYSTEM, customer.id, {
    e164: DEMO_NUMBER,
    status: 'active',
    voice: { destinations: [{ type: 'sip', uri: DEMO_DESTINATION, timeoutSec: 30 }], strategy: 'sequential' },
    messaging: { keepContent: false },
    recording: { enabled: false, channels: 2 },
    retention: { policy: '30d' },
  });

  const text = [
    'Demo seeded (first start on the embedded defaults). These keys are shown once:',
    `  operator key: ${operatorKey}`,
    `  customer key: ${customerKey}   (customer ${customer.id}, region NOAM)`,
    `  number ${DEMO_NUMBER} rings ${DEMO_DESTINATION}; carrier "Demo Carrier" is 127.0.0.1`,
    `  try: curl -H "Authorization: Bearer ${customerKey}" ${deps.apiUrl}/v1/numbers/${encodeURIComponent(DEMO_NUMBER)}`,
  ].join('\n');
  writeFileSync(path.join(deps.dataDir, 'demo-credentials.txt'), text + '\n', { mode: 0o600 });
  deps.print(text);
  return { operatorKey, customerKey, customerId: customer.id, number: DEMO_NUMBER };
}
