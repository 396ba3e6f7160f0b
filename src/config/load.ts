// Loads the configuration once: config/default.yaml, then any files named in ROUTING_CONFIG
// (comma-separated), then environment overrides ROUTING__SECTION__KEY=value. The result is
// validated against the schema, secrets are resolved, and the object is frozen.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, type Config } from './schema.js';
import { resolveSecret, SecretResolutionError } from './secret.js';

/** Raised for any problem with configuration; main prints its message alone and exits with code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const ENV_PREFIX = 'ROUTING__';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Files merged in order over the defaults; defaults to ROUTING_CONFIG. */
  files?: string[];
  /** Directory holding default.yaml; defaults to ./config. */
  configDir?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const configDir = opts.configDir ?? path.resolve('config');
  const files = opts.files ?? (env.ROUTING_CONFIG ? env.ROUTING_CONFIG.split(',').filter(Boolean) : []);

  let merged: Json = readYaml(path.join(configDir, 'default.yaml'));
  for (const f of files) merged = deepMerge(merged, readYaml(f));
  merged = applyEnvOverrides(merged, env);

  const candidate = Value.Default(ConfigSchema, Value.Clone(merged)) as unknown;
  const first = Value.Errors(ConfigSchema, candidate).First();
  if (first) {
    const where = first.path ? first.path.slice(1).replaceAll('/', '.') : '(root)';
    const expected = (first.schema as TSchema).description;
    throw new ConfigError(
      `invalid configuration at ${where}: ${first.message}` +
        (expected ? `; expected ${expected}` : '') +
        (first.value !== undefined && !isSecretPath(first.schema)
          ? ` (got ${JSON.stringify(first.value)})`
          : ''),
    );
  }
  const config = candidate as Config;
  resolveSecrets(ConfigSchema, config as unknown as Json, env, '');
  if (!config.instance.id) config.instance.id = os.hostname();
  return deepFreeze(config);
}

function readYaml(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  try {
    return (parseYaml(text) ?? {}) as Json;
  } catch (err) {
    throw new ConfigError(
      `configuration file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k] as Json, v) : v;
  return out;
}

/** ROUTING__API__PORT=9000 sets api.port; values are read as YAML scalars (numbers, booleans, lists). */
function applyEnvOverrides(base: Json, env: NodeJS.ProcessEnv): Json {
  let out = base;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const keys = name.slice(ENV_PREFIX.length).split('__').map(camelCase);
    let value: Json;
    try {
      value = parseYaml(raw) as Json;
    } catch {
      value = raw;
    }
    const patch = keys.reduceRight<Json>((acc, k) => ({ [k]: acc }), value);
    out = deepMerge(out, patch);
  }
  return out;
}

function camelCase(s: string): string {
  // Region names stay upper case (ROUTING__DATABASES__REGIONS__EURO__URL).
  if (
    /^[A-Z]+$/.test(s) &&
    s.length <= 6 &&
    ['NOAM', 'LATAM', 'EURO', 'MENA', 'AFRICA', 'INDIA', 'APAC', 'ANZAC'].includes(s)
  ) {
    return s;
  }
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isSecretPath(schema: TSchema): boolean {
  return Boolean((schema as Record<string, unknown>)['x-secret']);
}

/** Walks schema and value together, replacing every `env:`/`file:` reference under an x-secret key. */
function resolveSecrets(schema: TSchema, value: Json, env: NodeJS.ProcessEnv, where: string): void {
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' && isObject(value)) {
    const props = (s.properties ?? {}) as Record<string, TSchema>;
    for (const [k, sub] of Object.entries(props)) {
      const v = value[k];
      if (v === undefined) continue;
      const childWhere = where ? `${where}.${k}` : k;
      if (isSecretPath(sub) && typeof v === 'string') {
        try {
          (value as Record<string, unknown>)[k] = resolveSecret(v, env);
        } catch (err) {
          if (err instanceof SecretResolutionError) {
            throw new ConfigError(`invalid configuration at ${childWhere}: ${err.message}`);
          }
          throw err;
        }
      } else {
        resolveSecrets(sub, v, env, childWhere);
      }
    }
  } else if (s.type === 'array' && Array.isArray(value)) {
    value.forEach((item, i) => resolveSecrets(s.items as TSchema, item, env, `${where}[${i}]`));
  }
}

function deepFreeze<T>(obj: T): T {
  if (typeof obj === 'object' && obj !== null && !Object.isFrozen(obj)) {
    // Secrets keep their private field; freezing them is harmless.
    Object.freeze(obj);
    for (const v of Object.values(obj)) deepFreeze(v);
  }
  return obj;
}
