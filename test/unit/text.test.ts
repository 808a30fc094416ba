// findNul: where a NUL character hides in an argument value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findNul } from '../../src/base/text.js';

test('no NUL anywhere: null', () => {
  for (const v of [null, undefined, '', 'plain', 42, true, new Date(), [], {}, { a: ['b', { c: 'd\\u0000 is only an escape' }] }]) {
    assert.equal(findNul(v), null, JSON.stringify(v));
  }
});

test('the path to the string that holds it, through objects and arrays', () => {
  assert.deepEqual(findNul('a\u0000'), []);
  assert.deepEqual(findNul({ input: { name: 'x\u0000y' } }), ['input', 'name']);
  assert.deepEqual(findNul({ input: { name: 'ok', properties: { tags: ['a', 'b\u0000'] } } }), ['input', 'properties', 'tags', '1']);
  assert.deepEqual(findNul({ filter: { search: '\u0000' } }), ['filter', 'search']);
});

test('a key that holds it: the path of its object', () => {
  assert.deepEqual(findNul({ input: { properties: { 'k\u0000': 'v' } } }), ['input', 'properties']);
});

test('the first one in document order', () => {
  assert.deepEqual(findNul({ a: 'ok', b: ['\u0000'], c: '\u0000' }), ['b', '0']);
});

test('any depth, without recursion', () => {
  let deep: unknown = 'end\u0000';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const path = findNul({ payload: deep });
  assert.equal(path?.length, 100_001);
  assert.equal(path?.[0], 'payload');
});
