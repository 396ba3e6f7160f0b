// The routing core as a process for bench/voice.bench.ts: the daemon (embedded PGlite in memory,
// in-process shared state, every voice check on) driving an external edge as its SBC, seeded with
// a carrier (any 127.0.0.1 source), a customer and a number ringing the given SIP URI.
// `node --import=tsx bench/support/voice-core.ts <edge app port> <secret> <target uri> <number>`;
// prints "ready" on stdout once the SBC is connected and the plan and number are cached.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, Secret, type Config } from '../../src/config/index.js';
import { startApp } from '../../src/app.js';
import type { VoiceHandle } from '../../src/voice/voice.feature.js';

const [port, secret, target, number] = process.argv.slice(2);
if (!port || !secret || !target || !number) {
  console.error('usage: voice-core.ts <edge app port> <secret> <target uri> <number>');
  process.exit(2);
}
const config = Value.Default(ConfigSchema, {
  instance: { id: 'bench' },
  log: { level: 'warn' },
  api: { port: 0 },
  embedded: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'voice-bench-')), seedDemo: false },
  edge: { enabled: false },
  sbcs: [
    {
      name: 'bench-edge',
      host: '127.0.0.1',
      port: Number(port),
      secret: new Secret(secret, 'bench'),
      region: 'NOAM',
      colocation: 'bench',
      country: 'US',
    },
  ],
  voice: {
    gatewayHealth: { pingIntervalMs: 0 },
    limits: { customerConcurrent: 100_000, customerCps: 100_000 },
  },
}) as Config;
const app = await startApp(config, { inMemory: true, log: pino({ level: 'warn' }), print: () => {} });
const SYSTEM = { kind: 'system' as const, name: 'bench' };
const carrier = await app.planService.createCarrier(SYSTEM, {
  name: 'Bench Carrier',
  category: 'tier1_voice',
  countries: ['US'],
  regions: ['NOAM'],
  status: 'active',
  settings: {},
});
await app.planService.createGateway(SYSTEM, {
  carrierId: carrier.id,
  direction: 'inbound',
  host: '127.0.0.1',
  port: 5060,
  transport: 'udp',
  priority: 1,
  settings: {},
});
const customer = await app.accounts.createCustomer(SYSTEM, { name: 'Bench', region: 'NOAM' });
await app.accounts.createNumber(SYSTEM, customer.id, {
  e164: number,
  status: 'active',
  voice: { destinations: [{ type: 'sip', uri: target, timeoutSec: 30 }], strategy: 'sequential' },
  messaging: { keepContent: false },
  recording: { enabled: false, channels: 2 },
  retention: { policy: '30d' },
});
const voice = app.features.voice as VoiceHandle;
await voice.pool.waitConnected(30_000);
for (let i = 0; i < 400 && !(app.numbers.get(number) && app.plan.snapshot.gateways.length > 0); i++)
  await new Promise((r) => setTimeout(r, 50));
console.log('ready');
process.on('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
