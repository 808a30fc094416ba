// npm run docs:settings: rewrites the README's settings table from the
// SETTINGS declaration in src/base/config.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSettingsTable } from '../src/base/settingsTable.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readme, 'utf8');
const after = withSettingsTable(before);
if (after === before) console.log('README.md: the settings table is current');
else {
  writeFileSync(readme, after);
  console.log('README.md: settings table rewritten');
}
