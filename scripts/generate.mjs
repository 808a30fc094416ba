// Generates the Prisma clients (one per provider) and the Pothos types.
// Runs on `npm install`, so a user never runs a separate generate step.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const prismaBin = `${root}node_modules/.bin/prisma`;
if (!existsSync(prismaBin)) {
  console.log('prisma CLI not installed yet; skipping generate');
  process.exit(0);
}
for (const schema of ['prisma/schema.prisma', 'prisma/postgres/schema.prisma']) {
  if (!existsSync(`${root}${schema}`)) continue;
  execFileSync(prismaBin, ['generate', '--schema', schema, '--no-hints'], {
    cwd: root,
    stdio: 'inherit',
    // Prisma runs the Pothos generator by its bin name.
    env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
  });
}
