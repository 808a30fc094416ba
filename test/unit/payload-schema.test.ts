// Payload schemas (src/base/payloadSchema.ts): Ajv with Hookline's limits for
// schemas that tenants write; problems and payload errors name their path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSchemaDocument, payloadSchema, type PayloadValidator } from '../../src/base/payloadSchema.js';

const CITA = {
  type: 'object',
  required: ['id', 'patient'],
  properties: {
    id: { type: 'integer' },
    startsAt: { type: 'string', format: 'date-time' },
    patient: {
      type: 'object',
      required: ['email'],
      properties: { email: { type: 'string', format: 'email' }, 'a/b': { type: 'number' } },
      additionalProperties: false,
    },
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    kind: { $ref: '#/definitions/kind' },
  },
  definitions: { kind: { enum: ['first', 'follow-up'] } },
};

function validator(schema: unknown): PayloadValidator {
  const c = payloadSchema(JSON.stringify(schema));
  assert.ok(c.ok, JSON.stringify(c));
  return c.validate;
}

test('a valid payload passes; each kind of error names the failing path', () => {
  const v = validator(CITA);
  assert.equal(v({ id: 1, patient: { email: 'ana@example.com' }, startsAt: '2026-11-27T10:00:00Z', kind: 'first', tags: ['a'] }), null);
  assert.deepEqual(v({ patient: { email: 'ana@example.com' } }), { path: ['id'], message: 'is required' });
  assert.deepEqual(v({ id: 'x', patient: { email: 'ana@example.com' } }), { path: ['id'], message: 'must be integer' });
  assert.deepEqual(v({ id: 1, patient: { email: 'nope' } }), { path: ['patient', 'email'], message: 'must match format "email"' });
  assert.deepEqual(v({ id: 1, patient: {} }), { path: ['patient', 'email'], message: 'is required' });
  assert.deepEqual(v({ id: 1, patient: { email: 'a@b.co', extra: 1 } }), {
    path: ['patient', 'extra'],
    message: 'is not allowed (additionalProperties)',
  });
  assert.deepEqual(v({ id: 1, patient: { email: 'a@b.co', 'a/b': 'x' } })?.path, ['patient', 'a/b'], 'JSON pointer escapes are decoded');
  assert.deepEqual(v({ id: 1, patient: { email: 'a@b.co' }, kind: 'other' })?.path, ['kind']);
  assert.deepEqual(v({ id: 1, patient: { email: 'a@b.co' }, tags: ['a', 'a'] })?.path, ['tags']);
});

test('compiled once per schema text', () => {
  const text = JSON.stringify({ type: 'object', properties: { n: { type: 'number' } } });
  const a = payloadSchema(text);
  assert.equal(payloadSchema(text), a);
  assert.notEqual(payloadSchema(JSON.stringify({ type: 'object', properties: { n: { type: 'string' } } })), a);
});

test("a tenant's $id is not shared: two schemas with one $id both compile", () => {
  const a = validator({ $id: 'https://example.com/order', type: 'object', required: ['a'] });
  const b = validator({ $id: 'https://example.com/order', type: 'object', required: ['b'] });
  assert.equal(a({ a: 1 }), null);
  assert.deepEqual(b({ a: 1 })?.path, ['b']);
});

test('invalid schemas are refused with the path in the schema', () => {
  const bad = payloadSchema(JSON.stringify({ type: 'object', properties: { q: { type: 'strin' } } }));
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems[0].path, ['properties', 'q', 'type']);
  const ref = payloadSchema(JSON.stringify({ $ref: '#/definitions/missing' }));
  assert.ok(!ref.ok);
  assert.match(ref.problems[0].message, /can't resolve reference/);
  assert.deepEqual(checkSchemaDocument([]), [{ path: [], message: 'schema must be a JSON object' }]);
});

test('what could make validation slow is refused, naming where', () => {
  const paths = (schema: unknown) => checkSchemaDocument(schema).map((p) => p.path.join('/'));
  assert.deepEqual(paths({ properties: { name: { type: 'string', pattern: '^(a+)+$' } } }), ['properties/name/pattern']);
  assert.deepEqual(paths({ patternProperties: { '^x': {} } }), ['patternProperties']);
  assert.deepEqual(paths({ items: [{ anyOf: [{ pattern: 'x' }] }] }), ['items/0/anyOf/0/pattern']);
  assert.deepEqual(paths({ type: 'array', uniqueItems: true, items: { type: 'object' } }), ['uniqueItems']);
  assert.deepEqual(paths({ type: 'array', uniqueItems: true, items: { type: 'object' }, maxItems: 100 }), []);
  assert.deepEqual(paths({ type: 'array', uniqueItems: true, items: { type: ['string', 'integer'] } }), []);
  assert.deepEqual(paths({ $ref: 'https://example.com/schema.json' }), ['$ref']);
  assert.deepEqual(paths({ $async: true }), ['$async']);
  // A property called "pattern" is a field name, not the keyword.
  assert.deepEqual(paths({ properties: { pattern: { type: 'string' } } }), []);
  let deep: unknown = { type: 'object' };
  for (let i = 0; i < 40; i++) deep = { not: deep };
  assert.match(checkSchemaDocument(deep)[0].message, /nested at most/);
  assert.match(checkSchemaDocument({ enum: Array.from({ length: 7000 }, (_, i) => `value-${i}`) })[0].message, /bytes/);
});
