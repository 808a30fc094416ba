// `npm test`: the whole suite on SQLite, then every test that runs the app
// in-process (API, dispatch, audits) again on PostgreSQL. Prints one closing
// line for both passes. Extra arguments are passed to node --test (for
// example a single file: `npm test -- test/webhooks-crud.test.ts`).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const all = readdirSync(`${root}test`)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => `test/${f}`);
const chosen = args.length ? args : all;
const inProcess = chosen.filter((f) => readFileSync(`${root}${f}`, 'utf8').includes('startTestApp('));

function pass(label, files, env) {
  return new Promise((resolve) => {
    console.log(`\n# ${label}: ${files.length} file(s)`);
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', ...files], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d).slice(-4000);
    });
    child.on('close', (code) => {
      const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tail)?.[1] ?? 0);
      resolve({ code, passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') });
    });
  });
}

// Process tests run the dist/ bundle, as `npm start` does: build it from the current source.
await import('./build.mjs');

const results = [await pass('SQLite', chosen, { HOOKLINE_TEST_DB: 'sqlite' })];
if (inProcess.length) results.push(await pass('PostgreSQL', inProcess, { HOOKLINE_TEST_DB: 'postgres' }));
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
const failedRun = results.some((r) => r.code !== 0);
// A skipped test is a failing promise: count it as a failure.
const failed = sum('failed') + sum('skipped') + (failedRun && sum('failed') === 0 ? 1 : 0);
console.log(`\n${sum('passed')} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
