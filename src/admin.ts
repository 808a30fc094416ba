// `npm run --silent admin -- create-account <name>`: prints one JSON line.
import { config, ConfigError } from './config.js';

const [command, ...args] = process.argv.slice(2);
const usage = 'usage: npm run --silent admin -- create-account <name>';

try {
  config();
} catch (err) {
  console.error(err instanceof ConfigError ? `hookline: ${err.message}` : err);
  process.exit(1);
}

if (command !== 'create-account' || args.length !== 1) {
  console.error(usage);
  process.exit(2);
}

const { migrate } = await import('./db/migrate.js');
const { prisma, prepareConnection } = await import('./db/client.js');
const { createAccount } = await import('./accounts/accounts.js');
try {
  await migrate(config());
  await prepareConnection();
  const created = await createAccount(args[0]);
  process.stdout.write(JSON.stringify(created) + '\n');
  await prisma.$disconnect();
} catch (err) {
  console.error(`hookline: ${(err as Error).message}`);
  process.exit(1);
}
