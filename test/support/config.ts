// Builds a complete, validated Config for tests from the schema's defaults plus overrides,
// without touching config/default.yaml or the environment.
import { Value } from '@sinclair/typebox/value';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { ConfigSchema, type Config, Secret } from '../../src/config/index.js';

type DeepPartial<T> = T extends Secret ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (over instanceof Secret || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out;
}

export function secret(value: string): Secret {
  return new Secret(value, 'test');
}

/** A temporary data directory removed when the test ends. */
export function tempDir(t: Test, label = 'rc'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function testConfig(t: Test, overrides: DeepPartial<Config> = {}): Config {
  const dataDir = tempDir(t);
  const base = Value.Default(ConfigSchema, {
    instance: { id: 'test' },
    log: { level: 'silent' },
    api: { port: 0 },
    embedded: { dataDir, seedDemo: false },
    edge: { enabled: false, sipPort: 0 },
  }) as Config;
  return merge(base, overrides) as Config;
}
