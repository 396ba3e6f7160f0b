// docker/Dockerfile, checked statically (no Docker engine runs here): multi-stage, a small node base,
// the runtime stage runs as a non-root user, has a HEALTHCHECK on /healthz, installs production
// dependencies only and copies nothing but dist from the build stage; every file it copies from the
// build context exists and is not excluded by .dockerignore.
import t from 'tap';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';

const root = new URL('../../', import.meta.url);

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  base: string;
  name: string;
  steps: Instruction[];
}

/** Instructions with line continuations joined and comments dropped, grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line.startsWith('#') || !line)) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!;
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ base: from![1]!, name: from![2] ?? String(stages.length), steps: [] });
    } else stages.at(-1)!.steps.push({ op, args });
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(new URL('docker/Dockerfile', root), 'utf8'));
const runtime = stages.at(-1)!;
const ignore = readFileSync(new URL('.dockerignore', root), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

t.test('multi-stage on a small node 20 base', async (t) => {
  t.ok(stages.length >= 2, `${stages.length} stages`);
  for (const s of stages)
    t.match(s.base, /^(node:20-slim|node:20-alpine|gcr\.io\/distroless\/nodejs20)/, `${s.name}: small base`);
  t.ok(
    stages.some(
      (s) => s !== runtime && s.steps.some((i) => i.op === 'RUN' && /npm (ci|run build)/.test(i.args)),
    ),
    'a build stage compiles',
  );
});

t.test('the runtime stage: non-root user, health check, production dependencies only', async (t) => {
  const users = runtime.steps.filter((i) => i.op === 'USER');
  t.ok(users.length > 0, 'USER set');
  const user = users.at(-1)!.args.split(':')[0]!;
  t.notOk(['root', '0'].includes(user), `runs as ${user}, not root`);
  t.match(user, /^[1-9]\d*$/, 'numeric uid (Kubernetes runAsNonRoot can verify it)');

  const health = runtime.steps.find((i) => i.op === 'HEALTHCHECK');
  t.ok(health, 'HEALTHCHECK present');
  t.match(health?.args ?? '', /\/healthz/, 'on the liveness endpoint');
  t.notMatch(health?.args ?? '', /curl|wget/, 'no tool the slim image lacks');

  const cmd = runtime.steps.find((i) => i.op === 'CMD');
  t.match(cmd?.args ?? '', /dist\/main\.js/, 'starts the compiled daemon');

  // node_modules come from a stage that ran npm ci --omit=dev, and nothing but dist from the build.
  const copies = runtime.steps.filter((i) => i.op === 'COPY');
  for (const c of copies.filter((i) => /--from=/.test(i.args))) {
    const from = /--from=(\S+)/.exec(c.args)![1]!;
    const stage = stages.find((s) => s.name === from);
    t.ok(stage, `COPY --from=${from}: a stage of this file`);
    const src = c.args.replace(/--\S+/g, '').trim().split(/\s+/)[0]!;
    if (src.includes('node_modules'))
      t.ok(
        stage!.steps.some((i) => i.op === 'RUN' && /npm ci .*--omit=dev/.test(i.args)),
        `node_modules from ${from}, which installs with --omit=dev`,
      );
    else t.match(src, /\/dist$/, `only dist comes from ${from}`);
  }
  t.notOk(
    runtime.steps.some((i) => i.op === 'RUN' && /npm (ci|install)(?!.*--omit=dev)/.test(i.args)),
    'no npm install with dev dependencies in the runtime stage',
  );
  for (const c of copies.filter((i) => !/--from=/.test(i.args))) {
    const src = c.args.replace(/--\S+/g, '').trim().split(/\s+/)[0]!;
    t.notMatch(src, /^(src|test|bench|node_modules|\.)\/?$/, `runtime copies no sources or dev tree: ${src}`);
  }
});

t.test('every path copied from the build context exists and is not docker-ignored', async (t) => {
  for (const stage of stages)
    for (const c of stage.steps.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))) {
      const parts = c.args.replace(/--\S+/g, '').trim().split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        t.ok(existsSync(new URL(src, root)), `${stage.name}: ${src} exists`);
        t.notOk(
          ignore.some((p) => p === src || p === src.split('/')[0]),
          `${stage.name}: ${src} is in the build context`,
        );
      }
    }
  for (const excluded of ['node_modules', '.git', 'test', 'var', 'dist'])
    t.ok(ignore.includes(excluded), `.dockerignore excludes ${excluded}`);
});

t.test('devDependencies stay out of the runtime dependencies', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  for (const dev of Object.keys(pkg.devDependencies))
    t.notOk(dev in pkg.dependencies, `${dev} is a dev dependency only`);
  // The compiled daemon imports no dev dependency (they are absent from the image).
  const dist = new URL('dist/', root);
  t.ok(existsSync(dist), 'dist built (make build)');
  const imported = new Set<string>();
  for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.js'),
  )) {
    const text = readFileSync(new URL(file, dist), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"./][^'"]*)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) continue;
      imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  t.ok(imported.size > 5, `${imported.size} packages imported by dist`);
  for (const name of imported) t.ok(name in pkg.dependencies, `dist imports ${name}: a runtime dependency`);
});
