// Starts the whole daemon in-process for a test, on the embedded defaults (PGlite in memory,
// in-process shared state) unless the overrides say otherwise; stopped when the test ends.
import type { Test } from 'tap';
import pino from 'pino';
import { startApp, type App } from '../../src/app.js';
import { testConfig } from './config.js';
import type { Config } from '../../src/config/index.js';
import type { Feature } from '../../src/feature.js';

type Overrides = Parameters<typeof testConfig>[1];

export async function startTestApp(
  t: Test,
  overrides: Overrides = {},
  opts: { seedDemo?: boolean; features?: Feature[] } = {},
): Promise<App & { printed: string[] }> {
  const printed: string[] = [];
  const config: Config = testConfig(t, {
    ...overrides,
    embedded: { ...(overrides.embedded ?? {}), seedDemo: opts.seedDemo ?? false },
  } as Overrides);
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const app = await startApp(config, {
    inMemory: true,
    log,
    print: (text) => printed.push(text),
    ...(opts.features ? { features: opts.features } : {}),
  });
  t.teardown(() => app.stop());
  return Object.assign(app, { printed });
}

/** Calls the API in-process (fastify inject) with a key; returns status and parsed JSON. */
export async function call(
  app: App,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  key?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await app.api.inject({
    method,
    url,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  let parsed: unknown = res.body;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.statusCode, body: parsed, headers: res.headers };
}
