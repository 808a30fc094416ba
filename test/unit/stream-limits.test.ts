// StreamLimits: slots per API key and per account, released once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamLimits } from '../../src/live/limits.js';

test('the key cap is checked first, then the account cap; a refusal takes nothing', () => {
  const limits = new StreamLimits({ perKey: 2, perAccount: 3 });
  const a1 = limits.acquire('k1', 'acc');
  const a2 = limits.acquire('k1', 'acc');
  assert.ok(a1.ok && a2.ok);
  assert.deepEqual(limits.acquire('k1', 'acc'), { ok: false, scope: 'key', limit: 2 });
  assert.ok(limits.acquire('k2', 'acc').ok);
  assert.deepEqual(limits.acquire('k2', 'acc'), { ok: false, scope: 'account', limit: 3 });
  assert.equal(limits.count({ apiKeyId: 'k1' }), 2);
  assert.equal(limits.count({ apiKeyId: 'k2' }), 1);
  assert.equal(limits.count({ accountId: 'acc' }), 3);
  // Another account has its own count.
  assert.ok(limits.acquire('k3', 'other').ok);
});

test('release frees the slot once, however often it is called', () => {
  const limits = new StreamLimits({ perKey: 1, perAccount: 1 });
  const got = limits.acquire('k', 'a');
  assert.ok(got.ok);
  got.slot.release();
  got.slot.release();
  assert.equal(limits.count({ apiKeyId: 'k' }), 0);
  assert.equal(limits.count({ accountId: 'a' }), 0);
  const again = limits.acquire('k', 'a');
  assert.ok(again.ok);
  assert.equal(limits.acquire('k', 'a').ok, false, 'a double release did not leave a spare slot');
});
