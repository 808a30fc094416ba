// `npm run --silent admin -- <command>`: prints one JSON line.
//   create-account <name>          an account, its first admin and their API key
//   create-platform-key <name>     a key that can only create accounts, over the API (createAccount)
//   revoke-platform-key <id>       stops a platform key at once
//   list-platform-keys             the platform keys' ids, names and hints
import { configOrExit, startupFailure } from './app/run.js';
import { createApp } from './app/app.js';
import { createAccount } from './domain/accounts/accounts.js';
import { createPlatformKey, platformKeys, revokePlatformKey } from './domain/accounts/platformKeys.js';
import type { Deps } from './domain/deps.js';

const COMMANDS: Record<string, { args: number; run: (deps: Deps, args: string[]) => Promise<unknown> }> = {
  'create-account': { args: 1, run: (deps, [name]) => createAccount(deps, name) },
  'create-platform-key': { args: 1, run: (deps, [name]) => createPlatformKey(deps, name) },
  'revoke-platform-key': { args: 1, run: (deps, [id]) => revokePlatformKey(deps, id) },
  'list-platform-keys': { args: 0, run: (deps) => platformKeys(deps) },
};

const [command, ...args] = process.argv.slice(2);
const usage =
  'usage: npm run --silent admin -- create-account <name> | create-platform-key <name> | revoke-platform-key <id> | list-platform-keys';

const config = configOrExit();
const chosen = COMMANDS[command];
if (!chosen || args.length !== chosen.args) {
  console.error(usage);
  process.exit(2);
}

try {
  const app = await createApp({ ...config, bootstrapApiKey: null, redisUrl: null, logLevel: 'silent' });
  const result = await chosen.run(app.state, args);
  process.stdout.write(JSON.stringify(result) + '\n');
  await app.stop();
} catch (err) {
  console.error(startupFailure(err, ''));
  process.exit(1);
}
