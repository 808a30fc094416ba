// Content filters (src/base/payloadFilter.ts): the language, its checks at
// save time (each problem names its path), and explanations of a miss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, explainMiss, jsonEqual, matchesFilter, MAX_CONDITIONS, type FilterNode } from '../../src/base/payloadFilter.js';

function compiled(doc: unknown): FilterNode {
  const c = compileFilter(doc);
  assert.ok(c.ok, JSON.stringify(c));
  assert.ok(c.filter);
  return c.filter;
}

const matches = (doc: unknown, payload: unknown) => matchesFilter(compiled(doc), payload);

function problems(doc: unknown) {
  const c = compileFilter(doc);
  assert.ok(!c.ok, 'expected the filter to be refused');
  return c.problems;
}

const order = {
  id: 7,
  status: 'paid',
  amount: 120.5,
  currency: 'EUR',
  customer: { tier: 'gold', address: { country: 'ES' } },
  tags: ['b2b', 'vip'],
  items: [
    { sku: 'A1', qty: 2 },
    { sku: 'B2', qty: 1 },
  ],
  note: null,
};

test('equality: scalars, null, arrays, and any element of an array field', () => {
  assert.equal(matches({ status: 'paid' }, order), true);
  assert.equal(matches({ status: 'open' }, order), false);
  assert.equal(matches({ id: 7 }, order), true);
  assert.equal(matches({ id: '7' }, order), false, 'no type coercion');
  assert.equal(matches({ note: null }, order), true);
  assert.equal(matches({ missing: null }, order), false, 'null matches an explicit null only');
  assert.equal(matches({ tags: 'vip' }, order), true, 'an array field matches when an element is equal');
  assert.equal(matches({ tags: ['b2b', 'vip'] }, order), true, 'or when the whole array is equal');
  assert.equal(matches({ tags: ['vip', 'b2b'] }, order), false, 'arrays compare in order');
  assert.equal(
    matches({ customer: { $eq: { address: { country: 'ES' }, tier: 'gold' } } }, order),
    true,
    '$eq compares objects, keys in any order',
  );
});

test('nested paths: dotted, nested objects, array indexes, and names across arrays', () => {
  assert.equal(matches({ 'customer.address.country': 'ES' }, order), true);
  assert.equal(matches({ customer: { address: { country: 'ES' } } }, order), true);
  assert.equal(matches({ customer: { 'address.country': 'FR' } }, order), false);
  assert.equal(matches({ 'items.0.sku': 'A1' }, order), true);
  assert.equal(matches({ 'items.1.sku': 'A1' }, order), false);
  assert.equal(matches({ 'items.sku': 'B2' }, order), true, 'a name applied to an array looks into each element');
  assert.equal(matches({ 'items.qty': { $gt: 1 } }, order), true);
  assert.equal(matches({ 'items.qty': { $gt: 2 } }, order), false);
  assert.equal(matches({ 'id.x': 1 }, order), false, 'a path through a scalar finds nothing');
});

test('$in, $nin, $ne, $exists', () => {
  assert.equal(matches({ currency: { $in: ['EUR', 'USD'] } }, order), true);
  assert.equal(matches({ currency: { $in: ['GBP'] } }, order), false);
  assert.equal(matches({ tags: { $in: ['vip'] } }, order), true);
  assert.equal(matches({ customer: { $in: [{ tier: 'gold', address: { country: 'ES' } }] } }, order), true, '$in with objects');
  assert.equal(matches({ currency: { $nin: ['GBP'] } }, order), true);
  assert.equal(matches({ currency: { $nin: ['EUR'] } }, order), false);
  assert.equal(matches({ status: { $ne: 'open' } }, order), true);
  assert.equal(matches({ missing: { $ne: 'x' } }, order), true, 'a missing field is not equal');
  assert.equal(matches({ tags: { $ne: 'vip' } }, order), false, 'no element may be equal');
  assert.equal(matches({ note: { $exists: true } }, order), true, 'null is present');
  assert.equal(matches({ missing: { $exists: true } }, order), false);
  assert.equal(matches({ missing: { $exists: false } }, order), true);
  assert.equal(matches({ 'customer.address.zip': { $exists: false } }, order), true);
});

test('numeric comparisons take numbers only', () => {
  assert.equal(matches({ amount: { $gt: 100 } }, order), true);
  assert.equal(matches({ amount: { $gte: 120.5, $lte: 120.5 } }, order), true);
  assert.equal(matches({ amount: { $lt: 100 } }, order), false);
  assert.equal(matches({ status: { $gt: 0 } }, order), false, 'a string never compares');
  assert.equal(matches({ amount: { $gt: 100, $lt: 110 } }, order), false, 'operators on one field all hold');
});

test('$and, $or, $not, and several keys meaning all of them', () => {
  assert.equal(matches({ status: 'paid', currency: 'EUR' }, order), true);
  assert.equal(matches({ status: 'paid', currency: 'USD' }, order), false);
  assert.equal(matches({ $or: [{ currency: 'USD' }, { amount: { $gt: 100 } }] }, order), true);
  assert.equal(matches({ $or: [{ currency: 'USD' }, { amount: { $gt: 1000 } }] }, order), false);
  assert.equal(matches({ $and: [{ status: 'paid' }, { $not: { 'customer.tier': 'basic' } }] }, order), true);
  assert.equal(matches({ $not: { status: 'paid' } }, order), false);
  assert.equal(matches({ customer: { $or: [{ tier: 'silver' }, { 'address.country': 'ES' }] } }, order), true, '$or under a nested path');
});

test('own properties only: inherited names never match', () => {
  assert.equal(matches({ constructor: { $exists: true } }, {}), false);
  assert.equal(matches({ 'a.toString': { $exists: true } }, { a: {} }), false);
  assert.equal(matches({ __proto__x: 1 }, JSON.parse('{"__proto__x": 1}')), true);
  assert.equal(matches({ 'tags.length': 2 }, order), false, 'not the length of an array');
});

test('{} has no condition: no filter; non-objects are refused', () => {
  assert.deepEqual(compileFilter({}), { ok: true, filter: null });
  for (const bad of [null, [], 'x', 3]) assert.deepEqual(problems(bad)[0].path, []);
});

test('save-time problems name the bad path in the filter', () => {
  assert.deepEqual(problems({ amount: { $gt: 'ten' } }), [{ path: ['amount', '$gt'], message: '$gt takes a number' }]);
  assert.deepEqual(problems({ $or: [{ a: 1 }, { b: { $regex: 'x' } }] })[0].path, ['$or', '1', 'b', '$regex']);
  assert.match(problems({ $or: [{ a: 1 }, { b: { $regex: 'x' } }] })[0].message, /unknown operator "\$regex"/);
  assert.deepEqual(problems({ $or: [] })[0].path, ['$or']);
  assert.deepEqual(problems({ $and: [1] })[0].path, ['$and', '0']);
  assert.deepEqual(problems({ $not: [] })[0].path, ['$not']);
  assert.deepEqual(problems({ $where: 'x' })[0].path, ['$where']);
  assert.deepEqual(problems({ a: { $in: 'x' } })[0].path, ['a', '$in']);
  assert.deepEqual(problems({ a: { $exists: 1 } })[0].path, ['a', '$exists']);
  assert.deepEqual(problems({ a: { $gt: 1, b: 2 } })[0].path, ['a', 'b']);
  assert.deepEqual(problems({ a: {} })[0].path, ['a']);
  assert.deepEqual(problems({ 'a..b': 1 })[0].path, ['a..b']);
  assert.deepEqual(problems({ x: { y: { $lt: null } } })[0].path, ['x', 'y', '$lt']);
});

test('limits: conditions, $in values, depth, size', () => {
  const many = Object.fromEntries(Array.from({ length: MAX_CONDITIONS + 1 }, (_, i) => [`f${i}`, i]));
  assert.match(problems(many)[0].message, /conditions/);
  assert.match(problems({ a: { $in: Array.from({ length: 257 }, (_, i) => i) } })[0].message, /at most 256/);
  let deep: Record<string, unknown> = { a: 1 };
  for (let i = 0; i < 20; i++) deep = { $not: deep };
  assert.match(problems(deep)[0].message, /nested at most/);
  assert.match(problems({ a: { $in: Array.from({ length: 200 }, () => 'x'.repeat(60)) } })[0].message, /bytes/);
  let veryDeep: unknown = 1;
  for (let i = 0; i < 100_000; i++) veryDeep = { a: veryDeep };
  assert.match(problems(veryDeep)[0].message, /nested at most/, 'any depth is refused without overflowing the stack');
});

test('explainMiss names the failing condition and the value found', () => {
  assert.equal(explainMiss(compiled({ status: 'paid' }), order), null);
  assert.deepEqual(explainMiss(compiled({ status: 'paid', amount: { $gt: 500 } }), order), {
    path: ['amount', '$gt'],
    message: 'amount is 120.5; it must be > 500',
  });
  assert.deepEqual(explainMiss(compiled({ 'customer.vip': true }), order), {
    path: ['customer.vip'],
    message: 'customer.vip is missing; it must be equal to true',
  });
  assert.deepEqual(explainMiss(compiled({ $or: [{ a: 1 }, { b: 2 }] }), order)?.path, ['$or']);
  assert.deepEqual(explainMiss(compiled({ status: { $ne: 'paid' } }), order), {
    path: ['status', '$ne'],
    message: 'status is "paid"; it must not be equal to "paid"',
  });
});

test('jsonEqual', () => {
  assert.equal(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), true);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined }), false);
  assert.equal(jsonEqual([1], { 0: 1 }), false);
  assert.equal(jsonEqual(null, {}), false);
});

test('cost is bounded by the payload: a filter over a large array is one pass', () => {
  const payload = { items: Array.from({ length: 20_000 }, (_, i) => ({ sku: `S${i}`, qty: i })) };
  const f = compiled({ 'items.sku': { $in: ['S19999'] }, 'items.qty': { $gte: 19_999 } });
  const started = performance.now();
  assert.equal(matchesFilter(f, payload), true);
  assert.ok(performance.now() - started < 200);
});
