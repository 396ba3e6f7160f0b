// Configuration: defaults, files, environment overrides, secrets, and one precise message per mistake.
import t from 'tap';
import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { spawnSync } from 'node:child_process';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { tempDir } from '../support/config.js';

const root = path.resolve(import.meta.dirname, '../..');

function dirWith(t: Parameters<typeof tempDir>[0], extra?: string): { configDir: string; files: string[] } {
  const configDir = tempDir(t, 'cfg');
  copyFileSync(path.join(root, 'config/default.yaml'), path.join(configDir, 'default.yaml'));
  if (extra === undefined) return { configDir, files: [] };
  const file = path.join(configDir, 'extra.yaml');
  writeFileSync(file, extra);
  return { configDir, files: [file] };
}

t.test('the shipped default.yaml is valid and complete', async (t) => {
  const config = loadConfig({ env: {}, configDir: path.join(root, 'config'), files: [] });
  t.equal(config.api.port, 8080);
  t.equal(config.edge.enabled, true);
  t.same(config.databases.regions, {});
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.api), 'frozen');
  t.ok(config.instance.id.length > 0, 'instance id defaults to the host name');
});

t.test('the example production file is valid once its secrets exist', async (t) => {
  const dir = tempDir(t, 'secrets');
  const env: NodeJS.ProcessEnv = {
    REDIS_URL: 'redis://r:6379',
    DRACHTIO_SECRET_FRA1: 'a',
    DRACHTIO_SECRET_LON1: 'b',
  };
  const files = ['control-db-url', 'noam-db-url', 'euro-db-url', 'mena-db-url', 'url-signing-key'];
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f), `postgres://u:p@h/${f}\n`);
  const text = (await import('node:fs'))
    .readFileSync(path.join(root, 'config/production.example.yaml'), 'utf8')
    .replaceAll('/run/secrets/', `${dir}/`);
  const { configDir, files: extra } = dirWith(t, text);
  const config = loadConfig({ env, configDir, files: extra });
  t.equal(
    config.databases.regions.EURO?.url.reveal(),
    'postgres://u:p@h/euro-db-url',
    'secret file read, trailing newline dropped',
  );
  t.equal(config.sbcs.length, 2);
});

t.test('environment overrides win over files', async (t) => {
  const { configDir, files } = dirWith(t, 'api:\n  port: 9000\n');
  const config = loadConfig({
    env: { ROUTING__API__PORT: '9100', ROUTING__LOG__LEVEL: 'warn', ROUTING__RECORDS__BATCH_MAX_ROWS: '250' },
    configDir,
    files,
  });
  t.equal(config.api.port, 9100);
  t.equal(config.log.level, 'warn');
  t.equal(config.records.batchMaxRows, 250, 'snake case env names map to camelCase keys');
});

const mistakes: [string, string, RegExp][] = [
  ['wrong type', 'api:\n  port: "eighty"\n', /at api\.port: Expected integer/],
  [
    'out of range',
    'api:\n  port: 70000\n',
    /at api\.port: Expected integer to be less or equal to 65535.*\(got 70000\)/,
  ],
  ['unknown key', 'api:\n  prot: 80\n', /at api\.prot: Unexpected property/],
  ['bad enum', 'log:\n  level: loud\n', /at log\.level: .*expected minimum level written/],
  [
    'literal secret',
    'redis:\n  url: redis://user:hunter2@host\n',
    /at redis\.url: .*"env:NAME" or "file:\/path"/,
  ],
  [
    'missing secret',
    'redis:\n  url: env:NOPE_NOT_SET\n',
    /at redis\.url: environment variable NOPE_NOT_SET is not set/,
  ],
  ['bad yaml', 'api: [\n', /is not valid YAML/],
  [
    'bad region key',
    'databases:\n  regions:\n    MARS:\n      url: env:X\n',
    /at databases\.regions\.MARS: Unexpected property/,
  ],
];

for (const [name, yaml, expected] of mistakes) {
  t.test(`a bad file is refused with one precise message: ${name}`, async (t) => {
    const { configDir, files } = dirWith(t, yaml);
    const err = t.throws(() => loadConfig({ env: {}, configDir, files }), ConfigError) as unknown as Error;
    t.match(err.message, expected);
    t.notMatch(err.message, /hunter2/, 'a secret written in clear is not echoed back');
  });
}

t.test('secrets never print themselves', async (t) => {
  const { configDir, files } = dirWith(t, 'redis:\n  url: env:REDIS_URL\n');
  const config = loadConfig({ env: { REDIS_URL: 'redis://:s3cr3t@host:6379' }, configDir, files });
  t.equal(config.redis.url?.reveal(), 'redis://:s3cr3t@host:6379');
  for (const shown of [String(config.redis.url), JSON.stringify(config), inspect(config, { depth: 10 })])
    t.notMatch(shown, /s3cr3t/);
});

t.test('the daemon exits with code 2 and one line on a bad configuration', async (t) => {
  const { files } = dirWith(t, 'api:\n  port: -1\n');
  const res = spawnSync(process.execPath, ['--import=tsx', path.join(root, 'src/main.ts')], {
    cwd: root,
    env: { ...process.env, ROUTING_CONFIG: files[0] },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(res.status, 2);
  const lines = res.stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(
    lines[0],
    /^configuration error: invalid configuration at api\.port: Expected integer to be greater or equal to 0/,
  );
});
