// Builds the console (web/) into web/dist with esbuild: one minified ES
// module and one stylesheet, both content-hashed (served with a year-long
// immutable cache), and index.html referencing them (served with no-cache).
// No inline script or style, so the console runs under a strict CSP.
// Runs at install time and before every start (scripts/build.mjs), in well
// under a second; nothing is fetched at run time.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}web/dist`;
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { console: 'web/src/main.tsx' },
  outdir: 'web/dist/assets',
  entryNames: '[name]-[hash]',
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // Readable function names in a profile (`CONSOLE_PROFILE=1 npm run bench:console`).
  minifyIdentifiers: !process.env.CONSOLE_PROFILE,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'web/tsconfig.json',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
const js = files.find((f) => f.endsWith('.js'));
const css = files.find((f) => f.endsWith('.css'));
const html = readFileSync(`${root}web/index.html`, 'utf8')
  .replace('<!--styles-->', css ? `<link rel="stylesheet" href="/assets/${css}" />` : '')
  .replace('<!--scripts-->', `<script type="module" src="/assets/${js}"></script>`);
writeFileSync(`${out}/index.html`, html);
