// Bundles the three entry points into dist/ with esbuild (packages stay in
// node_modules). `npm start` runs the bundle with plain node: no TypeScript
// loader in the serving process, so it starts faster and uses less memory.
// Runs on install and before every start and test run; it takes well under
// a second.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts', worker: 'src/worker-main.ts', admin: 'src/admin.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
