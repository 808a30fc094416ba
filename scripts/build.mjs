// Bundles the entry points into dist/ with esbuild (packages stay in
// node_modules). `npm start` runs the bundle with plain node: no TypeScript
// loader in the serving process, so it starts faster and uses less memory.
// dist/delivery-thread.mjs is the delivery thread that main.mjs and
// worker.mjs start (src/app/thread.ts finds it next to them); it must not
// load the Prisma client or GraphQL, which this build checks.
// Runs on install and before every start and test run; it takes well under
// a second.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'src/main.ts',
    worker: 'src/worker-main.ts',
    admin: 'src/admin.ts',
    'delivery-thread': 'src/delivery-thread.ts',
    'checkpoint-thread': 'src/checkpoint-thread.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

// The delivery thread stays small: no Prisma client, no GraphQL, no HTTP API.
const FORBIDDEN = [/^@prisma\//, /^graphql($|\/|-)/, /^@graphql-yoga\//, /^@pothos\//, /generated\/prisma/, /^src\/(server|schema|live)\//];
const thread = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('delivery-thread.mjs'))?.[1];
const pulled = thread
  ? [...thread.imports.map((i) => i.path), ...Object.keys(thread.inputs)].filter((p) => FORBIDDEN.some((re) => re.test(p)))
  : ['(no delivery-thread output)'];
if (pulled.length) {
  console.error(`build: the delivery thread bundle must not include ${[...new Set(pulled)].join(', ')}`);
  process.exit(1);
}

// The console (web/): built here too, so install, start and test all serve the current one.
await import('./build-web.mjs');
