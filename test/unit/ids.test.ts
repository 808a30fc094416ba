import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId, timePrefix } from '../../src/base/ids.js';

test('ids are 24 base62 characters: 8 of time, 16 random', () => {
  const id = newId(Date.UTC(2026, 10, 23));
  assert.match(id, /^[0-9A-Za-z]{24}$/);
  assert.equal(id.slice(0, 8), timePrefix(Date.UTC(2026, 10, 23)));
  const ids = new Set(Array.from({ length: 10_000 }, () => newId(0)));
  assert.equal(ids.size, 10_000, 'the random part alone keeps ids apart');
});

test('the time prefix sorts as the time does, byte by byte, across digit, upper- and lower-case boundaries', () => {
  const times = [0, 1, 9, 10, 35, 36, 61, 62, 3843, 3844, Date.UTC(2000, 0, 1), Date.UTC(2026, 10, 23), 62 ** 8 - 1];
  for (let i = 1; i < times.length; i++) {
    assert.ok(timePrefix(times[i - 1]) < timePrefix(times[i]), `${times[i - 1]} < ${times[i]}`);
  }
  assert.equal(timePrefix(0), '00000000');
  assert.equal(timePrefix(62 ** 8 - 1), 'zzzzzzzz');
  const a = newId(1_000);
  const b = newId(1_001);
  assert.ok(a < b);
});
