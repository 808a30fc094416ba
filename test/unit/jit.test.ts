// Which operations may run through graphql-jit (src/server/jit.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'graphql';
import { schema } from '../../src/schema/index.js';
import { hasVariableAwareScalarLiteral, jitEligible } from '../../src/server/jit.js';

const eligible = (q: string) => jitEligible(schema, parse(q));

test('a variable inside a JSON literal keeps the operation out of graphql-jit (it would lose the variable)', () => {
  assert.equal(eligible('mutation($n: Int) { publishEvent(input: { type: "a.b", payload: { n: $n } }) { deliveryCount } }'), false);
});

test('any JSON literal keeps it out too (graphql-jit would warn on stderr for each)', () => {
  assert.equal(eligible('mutation { publishEvent(input: { type: "a.b", payload: { n: 1 } }) { deliveryCount } }'), false);
  assert.equal(
    hasVariableAwareScalarLiteral(schema, parse('mutation { publishEvent(input: { type: "a.b", payload: {} }) { deliveryCount } }')),
    true,
  );
});

test('JSON passed as a variable, plain queries and mutations are eligible', () => {
  assert.equal(eligible('mutation($p: JSON!) { publishEvent(input: { type: "a.b", payload: $p }) { deliveryCount } }'), true);
  assert.equal(eligible('mutation($i: PublishEventInput!) { publishEvent(input: $i) { deliveryCount } }'), true);
  assert.equal(eligible('query { webhooks(first: 5, orderBy: { field: NAME, direction: ASC }) { totalCount } }'), true);
});

test('subscriptions keep the shared execution', () => {
  assert.equal(eligible('subscription { deliveryAttempts { id } }'), false);
});

test('the verdict is cached per parsed document', () => {
  const doc = parse('query { viewer { id } }');
  assert.equal(jitEligible(schema, doc), true);
  assert.equal(jitEligible(schema, doc), true);
});
