// The console's live log asks again after a stream ends unasked, unless the
// server refused it: a refusal retried every second would loop for ever,
// and a dropped stream not retried leaves the page disconnected for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamRefusal } from '../../web/src/live-log.js';

test('GraphQL errors with a refusal code are refusals, named by code and message', () => {
  assert.equal(
    streamRefusal([{ message: 'API key revoked', extensions: { code: 'UNAUTHENTICATED' } }]),
    'UNAUTHENTICATED: API key revoked',
  );
  for (const code of ['FORBIDDEN', 'TOO_MANY_SUBSCRIPTIONS', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']) {
    assert.match(streamRefusal([{ message: 'x', extensions: { code } }]) ?? '', new RegExp(`^${code}`));
  }
});

test('a masked server fault or an unknown error is worth asking again', () => {
  assert.equal(streamRefusal([{ message: 'Unexpected error.' }]), null);
  assert.equal(streamRefusal([{ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]), null);
  assert.equal(streamRefusal(new Error('socket hang up')), null);
  assert.equal(streamRefusal(undefined), null);
});

test('close codes: 44xx refusals stop; going away, abnormal, server error, time-outs and a duplicate id retry', () => {
  assert.equal(streamRefusal({ code: 4401, reason: 'Unauthorized' }), 'closed 4401: Unauthorized');
  assert.equal(streamRefusal({ code: 4403, reason: '' }), 'closed 4403');
  assert.equal(streamRefusal({ code: 4429, reason: 'Too many streams' }), 'closed 4429: Too many streams');
  for (const code of [1000, 1001, 1006, 1011, 1012, 4408, 4409, 4499, 4500, 4504]) {
    assert.equal(streamRefusal({ code, reason: 'x' }), null, `close ${code}`);
  }
});
