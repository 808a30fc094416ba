// Query limits: cost (with variables counted), depth, page size, CSRF.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';

let app: TestApp;
let gql: Gql;
before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false', MAX_QUERY_COST: '10000', MAX_QUERY_DEPTH: '8' });
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(() => app.stop());

const LIST_100 = `query($n: Int) { webhooks(first: $n) { totalCount edges { cursor node {
  id name targetUrl events state stateReason owner { id name } registeredAssociate { id name } updatedAssociate { id name }
  stats { succeededCount failedCount pendingCount lastAttemptAt } } } } }`;

test('a full page of 100 webhooks with owners and stats is within the cost limit', async () => {
  const res = await gql(LIST_100, { n: 100 });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.data.webhooks.totalCount, 0);
  // The same with the page size written inline costs the same.
  const inline = await gql(LIST_100.replace('query($n: Int)', 'query').replace('first: $n', 'first: 100'));
  assert.equal(inline.errors, undefined, JSON.stringify(inline.errors));
});

test('nested pages are priced by their page sizes, also when given as variables', async () => {
  const nested = `query($n: Int) { webhooks(first: $n) { nodes { id deliveries(first: $n) { nodes { id attempts(first: $n) { nodes { id } } } } } } }`;
  for (const vars of [{ n: 100 }, { n: 50 }]) {
    const res = await gql(nested, vars);
    assert.equal(res.status, 200);
    assert.equal(res.errors?.[0].extensions?.code, 'QUERY_TOO_COMPLEX', JSON.stringify(res.errors));
    assert.match(res.errors![0].message, /MAX_QUERY_COST/);
    assert.equal(res.data?.webhooks ?? null, null, 'nothing was resolved');
  }
  // Small pages of the same shape are fine.
  const small = await gql(nested, { n: 5 });
  assert.equal(small.errors, undefined, JSON.stringify(small.errors));
});

test('queries deeper than MAX_QUERY_DEPTH are refused before execution', async () => {
  const deep = `{ webhooks(first: 1) { nodes { deliveries(first: 1) { nodes { webhook { deliveries(first: 1) { nodes { webhook { id } } } } } } } } }`;
  const res = await gql(deep);
  assert.ok(res.errors?.length, 'depth 8+ must be refused');
  assert.match(res.errors![0].message, /depth/i);
  assert.notEqual(res.status, 500);
});

test('page sizes over 100 are refused with an error naming the argument', async () => {
  const res = await gql(`{ webhooks(first: 101) { totalCount } }`);
  assert.equal(res.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
  assert.match(res.errors![0].message, /first must be between 0 and 100/);
});

test('a browser-style simple request (no JSON content type, no custom header) is refused as a possible CSRF', async () => {
  const res = await fetch(`${app.url}?query=${encodeURIComponent('{ __typename }')}`, { method: 'GET' });
  assert.equal(res.status, 403);
  // The same GET with the API key header (which forces a CORS preflight in browsers) is served.
  const ok = await fetch(`${app.url}?query=${encodeURIComponent('{ viewer { name } }')}`, {
    headers: { 'x-api-key': BOOTSTRAP_KEY, accept: 'application/json' },
  });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).data.viewer.name, 'Admin');
});
