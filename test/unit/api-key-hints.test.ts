// What apiKeyHints lets anyone with an ADMIN or MEMBER key see of a key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyHints, generateApiKey } from '../../src/base/secrets.js';

test('a generated key shows "hk_", its next four characters and its last four', () => {
  const key = generateApiKey();
  assert.deepEqual(apiKeyHints(key), { prefix: key.slice(0, 7), lastFour: key.slice(-4) });
});

test('any other key shows only its last four characters, with an empty prefix', () => {
  for (const key of [
    'change-me-to-a-long-secret',
    '0123456789abcdef', // the shortest BOOTSTRAP_API_KEY allowed
    'hk_0123456789abcdef', // looks like a Hookline key, but is not one Hookline made
    `hk_${'a'.repeat(39)}`,
    `hk_${'a'.repeat(41)}`,
    `hk_${'a'.repeat(39)}-`,
  ]) {
    assert.deepEqual(apiKeyHints(key), { prefix: '', lastFour: key.slice(-4) }, key);
  }
});
