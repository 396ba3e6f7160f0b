// Runs tap over every test file (or the files given), keeps tap's own output on the terminal,
// and ends with the one-line summary the README promises: "N passed, N failed".
// A test file counts as one test per top-level subtest; a file that dies counts as failed.
import { spawn } from 'node:child_process';

const files = process.argv.slice(2);
const args = ['tap', '--reporter=tap', ...files];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } });

let passed = 0;
let failed = 0;
let buffer = '';
// Lines of the form "    ok 3 - name" (one indent level: a test inside a file) or
// "not ok 2 - test/x.test.ts" (a whole file failing, e.g. a crash before its tests ran).
const inner = /^ {4}(not )?ok \d+ - /;
const outer = /^(not )?ok \d+ - (.+?)(?: # .*)?$/;
const fileHasInner = new Map();
let currentFileInner = 0;
let currentFileFailedInner = 0;

child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffer += chunk.toString('utf8');
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const i = inner.exec(line);
    if (i) {
      currentFileInner += 1;
      if (i[1]) currentFileFailedInner += 1;
      continue;
    }
    const o = outer.exec(line);
    if (o) {
      const fileFailed = Boolean(o[1]);
      if (currentFileInner === 0) {
        if (fileFailed) failed += 1;
        else passed += 1;
      } else {
        passed += currentFileInner - currentFileFailedInner;
        failed += currentFileFailedInner;
        // A file whose subtests all passed but which still failed (timeout, crash after the tests).
        if (fileFailed && currentFileFailedInner === 0) failed += 1;
      }
      fileHasInner.set(o[2], currentFileInner);
      currentFileInner = 0;
      currentFileFailedInner = 0;
    }
  }
});

child.on('close', (code) => {
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
