// Start-up with a bad setting: the real entry point exits cleanly, naming the
// variable. loadConfig itself is unit-tested in test/unit/config.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('npm start with PORT=abc exits 1 naming PORT, without a stack trace', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookline-config-'));
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.mjs'], {
    cwd: root,
    env: { ...process.env, PORT: 'abc', DATABASE_URL: `file:${join(dataDir, 'hookline.db')}`, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 1, `exit code; stderr: ${stderr}`);
  assert.match(stderr, /\bPORT\b/);
  assert.match(stderr, /abc/);
  assert.doesNotMatch(stderr, /^\s+at\s/m, `stderr has a stack trace:\n${stderr}`);
  assert.doesNotMatch(stdout, /listening/i);
});
