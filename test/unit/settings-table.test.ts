// Configuration as data: the settings are declared once (SETTINGS in
// src/base/config.ts), and the README's table is written from that
// declaration by `npm run docs:settings`. These tests fail when the README
// is stale, when a setting lacks its documentation, or when the default the
// README shows is not the one an unset variable gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, SETTING_NAMES, SETTINGS } from '../../src/base/config.js';
import { settingDocs } from '../../src/base/settings.js';
import { renderSettingsTable, TABLE_END, TABLE_START, withSettingsTable } from '../../src/base/settingsTable.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

test("the README's settings table is the one generated from SETTINGS (else run npm run docs:settings)", () => {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  assert.ok(start > 0 && end > start, 'README.md has the settings-table markers');
  const inReadme = readme.slice(start + TABLE_START.length, end).trim();
  assert.equal(inReadme, renderSettingsTable(), 'README.md settings table is stale: run npm run docs:settings');
  assert.equal(withSettingsTable(readme), readme);
  assert.ok(readme.indexOf('## Configuration') < start, 'the table is in the Configuration section');
});

test('a changed declaration makes the README stale (the check is not vacuous)', () => {
  const doc = settingDocs.get(SETTINGS.shape.PORT)!;
  const saved = doc.description;
  doc.description = 'changed';
  try {
    assert.notEqual(withSettingsTable(readme), readme);
  } finally {
    doc.description = saved;
  }
});

test('every setting has a description and a default', () => {
  assert.ok(SETTING_NAMES.length >= 35, `only ${SETTING_NAMES.length} settings declared`);
  for (const name of SETTING_NAMES) {
    assert.match(name, /^[A-Z][A-Z0-9_]+$/);
    const doc = settingDocs.get(SETTINGS.shape[name]);
    assert.ok(doc, `${name} has no documentation`);
    assert.ok(doc.description.length > 10, `${name}: description too short`);
    assert.ok(doc.default !== null || doc.defaultText, `${name}: no default shown`);
  }
});

test('the default the table shows is what an unset variable gets', () => {
  const { instanceId: _i, ...unset } = loadConfig({});
  let checked = 0;
  for (const name of SETTING_NAMES) {
    const shown = settingDocs.get(SETTINGS.shape[name])!.default;
    if (shown === null || shown.includes('<')) continue; // in words, or derived (PUBLIC_URL, INSTANCE_ID)
    const { instanceId: _j, ...given } = loadConfig({ [name]: shown });
    assert.deepEqual(given, unset, `${name}=${shown} is not the default`);
    checked++;
  }
  assert.ok(checked >= 30, `only ${checked} literal defaults checked`);
  assert.equal(loadConfig({ PORT: '8080' }).publicUrl, 'http://localhost:8080', 'PUBLIC_URL follows PORT');
});

test('variables outside the declaration are not read', () => {
  const { instanceId: _a, ...plain } = loadConfig({});
  const { instanceId: _b, ...extra } = loadConfig({ NOT_A_SETTING: 'x', port: '1' });
  assert.deepEqual(extra, plain);
});
