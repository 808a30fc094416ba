// `npm run --silent admin -- create-account <name>`: prints one JSON line.
import { configOrExit, startupFailure } from './app/run.js';
import { createApp } from './app/app.js';
import { createAccount } from './domain/accounts/accounts.js';

const [command, ...args] = process.argv.slice(2);
const usage = 'usage: npm run --silent admin -- create-account <name>';

const config = configOrExit();
if (command !== 'create-account' || args.length !== 1) {
  console.error(usage);
  process.exit(2);
}

try {
  const app = await createApp({ ...config, bootstrapApiKey: null, redisUrl: null, logLevel: 'silent' });
  const created = await createAccount(app.state, args[0]);
  process.stdout.write(JSON.stringify(created) + '\n');
  await app.stop();
} catch (err) {
  console.error(startupFailure(err, ''));
  process.exit(1);
}
