import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

t.test('docs/configuration.md matches the schema (run `make docs` after changing it)', async (t) => {
  const root = path.resolve(import.meta.dirname, '../..');
  const res = spawnSync(process.execPath, ['--import=tsx', 'scripts/config-doc.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  t.equal(res.status, 0, res.stderr);
});
