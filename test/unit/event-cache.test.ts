// The worker's cache of freshly published events (src/dispatch/eventCache.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventCache } from '../../src/dispatch/eventCache.js';
import type { StoredEvent } from '../../src/db/stores/events.js';

const event = (id: string, payload = '{}'): StoredEvent => ({
  id,
  accountId: 'acc',
  type: 'order.paid',
  payload,
  channels: null,
  idempotencyKey: null,
  createdAt: new Date(0),
});
const limits = { ttlMs: 1_000, maxBytes: 100_000, maxEntries: 3 };

test('events added are found; others are listed to be read', () => {
  const cache = new EventCache(limits);
  cache.add([event('a'), event('b')], 0);
  const { found, missing } = cache.lookup(['a', 'x', 'b'], 10);
  assert.deepEqual(
    found.map((e) => e.id),
    ['a', 'b'],
  );
  assert.deepEqual(missing, ['x']);
});

test('an entry is gone once its time is up, by the clock it was added with', () => {
  const cache = new EventCache(limits);
  cache.add([event('a')], 0);
  cache.add([event('b')], 600);
  assert.deepEqual(cache.lookup(['a', 'b'], 999).missing, []);
  assert.deepEqual(cache.lookup(['a', 'b'], 1_000).missing, ['a']);
  assert.deepEqual(cache.lookup(['a', 'b'], 1_600).missing, ['a', 'b']);
  assert.equal(cache.size, 0);
});

test('a clock moved back empties the cache rather than keeping entries from the future', () => {
  const cache = new EventCache(limits);
  cache.add([event('a')], 5_000);
  assert.deepEqual(cache.lookup(['a'], 4_000).missing, ['a']);
});

test('past the entry limit the oldest go first', () => {
  const cache = new EventCache(limits);
  cache.add([event('a'), event('b'), event('c'), event('d')], 0);
  assert.deepEqual(cache.lookup(['a', 'b', 'c', 'd'], 0).missing, ['a']);
});

test('past the byte limit the oldest go first, and one large event is not kept at all', () => {
  const cache = new EventCache({ ttlMs: 1_000, maxBytes: 20_000, maxEntries: 100 });
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
  cache.add(
    ids.map((id) => event(id, 'x'.repeat(1_000))), // about 2.3 KB each, 20.5 KB in all
    0,
  );
  assert.deepEqual(cache.lookup(ids, 0).missing, ['a']);
  cache.add([event('huge', 'x'.repeat(2_000))], 0); // over an eighth of the cache
  assert.deepEqual(cache.lookup(['huge'], 0).missing, ['huge']);
});

test('an event added twice is held once', () => {
  const cache = new EventCache(limits);
  cache.add([event('a'), event('a')], 0);
  assert.equal(cache.size, 1);
});
