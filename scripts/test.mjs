// `npm test`: the unit tests (test/unit/*.test.ts: pure functions, no app,
// no database) once, first; then the whole suite on SQLite and, side by
// side with it, every test that runs the app in-process (API, dispatch,
// audits) again on PostgreSQL. Prints one closing line for all passes. Extra
// arguments are passed to node --test (for example a single file: `npm test -- test/webhooks-crud.test.ts`
// or `npm test -- test/unit/policy.test.ts`).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const list = (dir) =>
  existsSync(`${root}${dir}`)
    ? readdirSync(`${root}${dir}`)
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => `${dir}/${f}`)
    : [];
const isUnit = (f) => /^(?:\.\/)?test\/unit\//.test(f);
const chosen = args.length ? args : [...list('test/unit'), ...list('test')];
const unit = chosen.filter(isUnit);
const integration = chosen.filter((f) => !isUnit(f));
// In-process: startTestApp(), or testEnv() for a file that prepares its database before starting the app itself.
const inProcess = integration.filter((f) => /startTestApp\(|testEnv\(/.test(readFileSync(`${root}${f}`, 'utf8')));

// Unit tests run once, on no database: one that starts the app belongs in test/.
const misplaced = unit.filter((f) => readFileSync(`${root}${f}`, 'utf8').includes('startTestApp('));
if (misplaced.length) {
  console.error(`Unit tests must not start the app; move these to test/: ${misplaced.join(', ')}`);
  process.exit(1);
}

// --test-force-exit ends a file's process once every test known so far has
// finished, so a file that registers more tests later (describe blocks
// filled in after an await) can end early with its remaining tests silently
// uncounted: measured on the unit files, 201 to 219 of 219 tests ran. Unit
// tests leave nothing open, so they run without it; the integration files
// need it (a server or socket left open must not hang the run).
// `prefix` marks each output line when two passes run at once, so the
// interleaved logs stay readable.
/**
 * Each failing test's TAP lines ("not ok" and its YAML block, cut to 20
 * lines), repeated at the end of the run: a CI record that keeps only the
 * tail of a 15,000-line log still says what failed and why.
 */
class FailureLog {
  lines = [];
  #partial = '';
  #open = 0;
  constructor(label) {
    this.label = label;
  }
  feed(chunk) {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop();
    for (const line of lines) {
      if (/^\s*ok \d+ .*# (?:SKIP|TODO)/.test(line)) this.lines.push(`[${this.label}] ${line}`);
      if (/^\s*not ok \d+ /.test(line)) this.#open = 20;
      if (!this.#open) continue;
      this.lines.push(`[${this.label}] ${line}`);
      this.#open = /^\s*\.\.\.$/.test(line) ? 0 : this.#open - 1;
    }
  }
}

function pass(label, files, env, forceExit = true, prefix = '') {
  return new Promise((resolve) => {
    console.log(`\n# ${label}: ${files.length} file(s)`);
    const flags = ['--import', 'tsx', '--test', '--test-concurrency=1', ...(forceExit ? ['--test-force-exit'] : [])];
    const child = spawn(process.execPath, [...flags, ...files], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    let partial = '';
    const failures = new FailureLog(label);
    child.stdout.on('data', (d) => {
      tail = (tail + d).slice(-4000);
      failures.feed(String(d));
      if (!prefix) return void process.stdout.write(d);
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      if (lines.length) process.stdout.write(lines.map((l) => prefix + l).join('\n') + '\n');
    });
    child.on('close', (code) => {
      if (prefix && partial) process.stdout.write(prefix + partial + '\n');
      const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tail)?.[1] ?? 0);
      resolve({
        code,
        passed: count('pass'),
        failed: count('fail') + count('cancelled'),
        skipped: count('skipped') + count('todo'),
        failures: failures.lines,
      });
    });
  });
}

const results = [];
if (unit.length) results.push(await pass('Unit', unit, {}, false));
if (integration.length) {
  // Process tests run the dist/ bundle, as `npm start` does: build it from the current source.
  await import('./build.mjs');
  // The SQLite and PostgreSQL passes run side by side: most of a test's time
  // is spent waiting (receivers, timers, retries, the browser), and each test
  // has its own database, port, data directory and, where it needs one, its
  // own Redis, so they do not meet. Sequential, the suite took 18 of CI's 30
  // minutes.
  const both = [pass('SQLite', integration, { HOOKLINE_TEST_DB: 'sqlite' }, true, inProcess.length ? '[sqlite] ' : '')];
  if (inProcess.length) both.push(pass('PostgreSQL', inProcess, { HOOKLINE_TEST_DB: 'postgres' }, true, '[postgres] '));
  results.push(...(await Promise.all(both)));
}
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
const failedRun = results.some((r) => r.code !== 0);
// A skipped test is a failing promise: count it as a failure.
const failed = sum('failed') + sum('skipped') + (failedRun && sum('failed') === 0 ? 1 : 0);
const failureLines = results.flatMap((r) => r.failures ?? []);
if (failureLines.length) console.log(`\n# What failed\n${failureLines.join('\n')}`);
for (const r of results) if (r.code !== 0 && !r.failed) console.log(`# a pass exited with code ${r.code} without a failing test`);
console.log(`\n${sum('passed')} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
