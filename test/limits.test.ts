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

test('delivery-log cursors and page sizes not from the list are refused with BAD_USER_INPUT naming the argument', async () => {
  const { createWebhook, okData, payloadOk } = await import('./helpers/webhooks.js');
  const { webhook } = await createWebhook(gql, { name: 'Cursor checks', events: ['*'] });
  for (let n = 0; n < 3; n += 1) {
    payloadOk(
      await gql(
        `mutation { publishEvent(input: { type: "webhook.updated", payload: { n: ${n} } }) { event { id } userErrors { message } } }`,
      ),
      'publishEvent',
    );
  }
  const ids = okData(await gql(`query($id: ID!) { webhook(id: $id) { deliveries(first: 1) { nodes { id } } } }`, { id: webhook.id }));
  const deliveryId = ids.webhook.deliveries.nodes[0].id;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const forged = [
    'garbage',
    '',
    b64('hello'),
    b64('GPC:N:5'),
    b64('GPC:J:[1,2]'),
    b64('GPC:S:../etc'),
    // The hand-built cursor format the delivery log used before ("<ms>:<id>").
    Buffer.from(`${Date.now()}:abc`).toString('base64url'),
  ];
  const fields: [string, string, Record<string, unknown>][] = [
    ['events', 'query($c: String) { events(ARGS) { totalCount nodes { id } } }', {}],
    [
      'Webhook.deliveries',
      'query($c: String, $id: ID!) { webhook(id: $id) { deliveries(ARGS) { totalCount nodes { id } } } }',
      { id: webhook.id },
    ],
    [
      'Webhook.deliveryAttempts',
      'query($c: String, $id: ID!) { webhook(id: $id) { deliveryAttempts(ARGS) { totalCount nodes { id } } } }',
      { id: webhook.id },
    ],
    [
      'Delivery.attempts',
      'query($c: String, $id: ID!) { delivery(id: $id) { attempts(ARGS) { totalCount nodes { id } } } }',
      { id: deliveryId },
    ],
    [
      'nested Delivery.attempts',
      'query($c: String, $id: ID!) { webhook(id: $id) { deliveries { nodes { attempts(ARGS) { nodes { id } } } } } }',
      { id: webhook.id },
    ],
  ];
  const refused = (res: any, arg: string, message: RegExp, what: string) => {
    assert.equal(res.errors?.length, 1, `${what}: ${JSON.stringify(res.errors ?? res.data)}`);
    assert.equal(res.errors[0].extensions?.code, 'BAD_USER_INPUT', `${what}: ${JSON.stringify(res.errors)}`);
    assert.deepEqual(res.errors[0].extensions?.field, [arg], what);
    assert.match(res.errors[0].message, message, what);
    assert.notEqual(res.status, 500, what);
  };
  for (const [name, query, vars] of fields) {
    for (const c of forged) {
      refused(
        await gql(query.replace('ARGS', 'first: 2, after: $c'), { ...vars, c }),
        'after',
        /^after is not a cursor from this list$/,
        `${name} after ${JSON.stringify(c)}`,
      );
      refused(
        await gql(query.replace('ARGS', 'last: 2, before: $c'), { ...vars, c }),
        'before',
        /^before is not a cursor from this list$/,
        `${name} before ${JSON.stringify(c)}`,
      );
    }
    refused(
      await gql(query.replace('ARGS', 'first: 101, after: $c'), { ...vars }),
      'first',
      /first must be between 0 and 100/,
      `${name} first: 101`,
    );
    refused(
      await gql(query.replace('ARGS', 'first: -1, after: $c'), { ...vars }),
      'first',
      /first must be between 0 and 100/,
      `${name} first: -1`,
    );
    refused(
      await gql(query.replace('ARGS', 'last: 101, before: $c'), { ...vars }),
      'last',
      /last must be between 0 and 100/,
      `${name} last: 101`,
    );
  }

  // Real cursors page forward and back through the same newest-first order.
  const all = okData(await gql('{ events(first: 100) { nodes { id } } }')).events.nodes.map((e: any) => e.id);
  assert.ok(all.length >= 4, `events: ${all.length}`);
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: any = okData(
      await gql('query($a: String) { events(first: 2, after: $a) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }', {
        a: after,
      }),
    ).events;
    seen.push(...page.edges.map((e: any) => e.node.id));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  assert.deepEqual(seen, all);
  const lastCursor = okData(await gql('{ events(last: 1) { edges { cursor node { id } } } }')).events.edges[0];
  assert.equal(lastCursor.node.id, all.at(-1));
  const back = okData(
    await gql('query($b: String) { events(last: 2, before: $b) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } }', {
      b: lastCursor.cursor,
    }),
  ).events;
  assert.deepEqual(
    back.nodes.map((e: any) => e.id),
    all.slice(-3, -1),
  );
  assert.equal(back.pageInfo.hasNextPage, true);
});

test('a DateTime argument that is not an RFC 3339 date-time with a zone is refused with BAD_USER_INPUT', async () => {
  const { createWebhook } = await import('./helpers/webhooks.js');
  const { webhook } = await createWebhook(gql, { name: 'DateTime checks' });
  const recover = 'mutation($id: ID!, $since: DateTime!) { recoverWebhook(id: $id, since: $since) { requeuedCount userErrors { code } } }';
  for (const since of ['yesterday', '2026-01-31', '2026-01-31T12:00:00', '2026-02-30T12:00:00Z', 1_700_000_000_000]) {
    const res = await gql(recover, { id: webhook.id, since });
    assert.equal(res.errors?.[0].extensions?.code, 'BAD_USER_INPUT', `${JSON.stringify(since)}: ${JSON.stringify(res.errors ?? res.data)}`);
  }
  const inline = await gql(`mutation($id: ID!) { recoverWebhook(id: $id, since: "2026-01-31") { requeuedCount } }`, { id: webhook.id });
  assert.equal(inline.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
  assert.match(inline.errors![0].message, /RFC 3339/);
  // With a zone, in any offset, it is accepted.
  for (const since of ['2026-01-31T12:00:00Z', '2026-01-31T12:00:00.123+02:00']) {
    const res = await gql(recover, { id: webhook.id, since });
    assert.equal(res.errors, undefined, `${since}: ${JSON.stringify(res.errors)}`);
  }
});
