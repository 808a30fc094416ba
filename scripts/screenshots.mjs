// `npm run screenshots`: runs the console's browser tests once (SQLite) with
// SCREENSHOTS=1, which makes them save docs/screenshots/*.png (the README's
// Console section shows them).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await import('./build.mjs');
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', 'test/console-webhooks.test.ts', 'test/console-log.test.ts'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SCREENSHOTS: '1', HOOKLINE_TEST_DB: 'sqlite' } },
);
process.exit(run.status ?? 1);
