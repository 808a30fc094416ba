// Listing webhooks with owner, registeredAssociate, updatedAssociate and
// events costs a fixed number of SQL statements, whatever the list size: the
// associations resolve through batched DataLoaders, not one query per row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { createApiKey, createAssociate, createWebhook, okData, payloadOk, UPDATE_WEBHOOK } from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;
let editor: Gql;
let onQuery: (listener: (sql: string) => void) => () => void;
const owners: string[] = [];
let created = 0;

// Page size and limit are variables, so one query text serves every size.
const LIST = `query($n: Int) {
  webhooks(first: $n, orderBy: { field: NAME, direction: ASC }) {
    totalCount
    edges { cursor node {
      id name targetUrl state events
      owner { id name email }
      registeredAssociate { id name }
      updatedAssociate { id name }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PAGE = `query($n: Int) {
  webhooksPage(limit: $n, page: 1) {
    totalCount
    items { id name events owner { id name } registeredAssociate { id name } updatedAssociate { id name } }
  }
}`;

before(async () => {
  // No delivery worker: its polling would add statements to the count.
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
  ({ onQuery } = await import('./helpers/app.js'));
  for (let i = 0; i < 5; i += 1) {
    owners.push((await createAssociate(gql, { name: `Owner ${i}`, email: `owner${i}@example.com`, role: 'ADMIN' })).id);
  }
  const editorId = (await createAssociate(gql, { name: 'Editor', email: 'editor@example.com', role: 'ADMIN' })).id;
  editor = client(app.url, (await createApiKey(gql, { name: 'editor', associateId: editorId })).key);
});
after(() => app.stop());

/** Creates webhooks until there are `n`, with varied owners, events and updaters. */
async function growTo(n: number) {
  while (created < n) {
    const i = created;
    const { webhook } = await createWebhook(gql, {
      name: `Listed ${String(i).padStart(3, '0')}`,
      // An IP literal skips the create-time DNS lookup, which is slow here.
      targetUrl: `https://93.184.216.34/hooks/${i}`,
      ownerId: owners[i % owners.length],
      events: i % 3 === 0 ? ['*'] : ['webhook.created', 'webhook.deleted'],
    });
    if (i % 2 === 0) payloadOk(await editor(UPDATE_WEBHOOK, { id: webhook.id, input: { properties: { i } } }), 'updateWebhook');
    created += 1;
  }
}

/** The SQL statements Prisma sends while one HTTP request runs, and its data. */
async function measure(query: string, n: number): Promise<{ statements: string[]; data: any }> {
  const statements: string[] = [];
  const stop = onQuery((sql) => statements.push(sql));
  try {
    const data = okData(await gql(query, { n }));
    return { statements, data };
  } finally {
    stop();
  }
}

function assertResolved(nodes: any[], n: number) {
  assert.equal(nodes.length, n);
  for (const w of nodes) {
    assert.ok(w.owner?.name?.startsWith('Owner '), JSON.stringify(w.owner));
    assert.ok(['Admin', 'Editor'].includes(w.updatedAssociate.name));
    assert.equal(w.registeredAssociate.name, 'Admin');
    assert.ok(w.events.length >= 1);
  }
  // The batches really did mix owners and updaters.
  assert.equal(new Set(nodes.map((w) => w.owner.id)).size, owners.length);
  assert.equal(new Set(nodes.map((w) => w.updatedAssociate.name)).size, 2);
}

test('webhooks(first: 100) costs the same fixed number of SQL statements for 10 and for 100 webhooks', async (t) => {
  await growTo(10);
  const small = await measure(LIST, 100);
  assertResolved(
    small.data.webhooks.edges.map((e: any) => e.node),
    10,
  );
  assert.equal(small.data.webhooks.totalCount, 10);

  await growTo(100);
  const large = await measure(LIST, 100);
  assertResolved(
    large.data.webhooks.edges.map((e: any) => e.node),
    100,
  );
  assert.equal(large.data.webhooks.totalCount, 100);

  t.diagnostic(`webhooks: ${small.statements.length} statements for 10 webhooks, ${large.statements.length} for 100`);
  assert.equal(large.statements.length, small.statements.length, `10: ${small.statements.join('\n')}\n100: ${large.statements.join('\n')}`);
  // The caller's API key and associate (one statement, or two if Prisma
  // loads the relation separately), the page, totalCount, associates (one
  // batch for all three fields) and webhook events (one batch).
  assert.ok(large.statements.length <= 6, large.statements.join('\n'));
  // Besides the caller's own associate (looked up by one id with the key),
  // one batched IN (...) query serves owner, registeredAssociate and updatedAssociate.
  const associateBatches = large.statements.filter((s) => /FROM\s+\S*Associate\S*\s+WHERE/i.test(s) && /\bIN\s*\(|=\s*ANY\s*\(/i.test(s));
  assert.equal(associateBatches.length, 1, 'owner, registeredAssociate and updatedAssociate share one batched query');
});

test('webhooksPage(limit: 100) costs a fixed number of SQL statements too', async (t) => {
  await growTo(100);
  const large = await measure(PAGE, 100);
  assert.equal(large.data.webhooksPage.items.length, 100);
  const small = await measure(PAGE, 10);
  assert.equal(small.data.webhooksPage.items.length, 10);
  t.diagnostic(`webhooksPage: ${small.statements.length} statements for 10 items, ${large.statements.length} for 100`);
  assert.equal(large.statements.length, small.statements.length);
  assert.ok(large.statements.length <= 6, large.statements.join('\n'));
});

const WITH_EVENT_TYPES = `query($n: Int) {
  webhooks(first: $n, orderBy: { field: NAME, direction: ASC }) {
    nodes { id events eventTypes { name group builtIn } }
  }
}`;

test('Webhook.eventTypes (the event groups of a page of webhooks) costs a fixed number of SQL statements', async (t) => {
  await growTo(100);
  const custom = okData(
    await gql(`mutation { createEventType(input: { name: "counted.custom", group: "Counted" }) { userErrors { message } } }`),
  );
  assert.deepEqual(custom.createEventType.userErrors, []);
  const small = await measure(WITH_EVENT_TYPES, 10);
  const large = await measure(WITH_EVENT_TYPES, 100);
  assert.equal(large.data.webhooks.nodes.length, 100);
  for (const w of large.data.webhooks.nodes) {
    const names = w.eventTypes.map((e: any) => e.name);
    if (w.events.includes('*')) {
      // Every catalog entry, the account's custom type included.
      assert.ok(names.includes('counted.custom') && names.includes('webhook.created'), names.join());
    } else {
      assert.deepEqual(names, ['webhook.created', 'webhook.deleted']);
      assert.deepEqual(
        w.eventTypes.map((e: any) => e.group),
        ['Webhooks', 'Webhooks'],
      );
    }
  }
  t.diagnostic(`with eventTypes: ${small.statements.length} statements for 10 webhooks, ${large.statements.length} for 100`);
  assert.equal(large.statements.length, small.statements.length, large.statements.join('\n'));
  // The key lookup, the page, totalCount (if any), the events batch and one catalog read.
  assert.ok(large.statements.length <= 6, large.statements.join('\n'));
  assert.equal(large.statements.filter((s) => /FROM\s+\S*EventType\S*\s+WHERE/i.test(s)).length, 1, 'one catalog read per request');
});

const WITH_STATS = `query($n: Int) {
  webhooks(first: $n, orderBy: { field: NAME, direction: ASC }) {
    nodes { id owner { name } registeredAssociate { name } updatedAssociate { name }
      stats { succeededCount failedCount pendingCount consecutiveFailures lastAttemptAt lastSuccessAt } }
  }
}`;

test('stats for a page of webhooks load in a fixed number of SQL statements', async (t) => {
  await growTo(100);
  // Give every subscribed webhook pending deliveries (the worker is off, so they stay pending).
  const pub = okData(
    await gql(
      `mutation { publishEvent(input: { type: "webhook.created", payload: { probe: true } }) { deliveryCount userErrors { message } } }`,
    ),
  );
  assert.equal(pub.publishEvent.deliveryCount, 100);
  const small = await measure(WITH_STATS, 10);
  const large = await measure(WITH_STATS, 100);
  assert.equal(large.data.webhooks.nodes.length, 100);
  const pending = large.data.webhooks.nodes.reduce((n: number, w: any) => n + w.stats.pendingCount, 0);
  assert.ok(pending >= 100, `pending deliveries counted: ${pending}`);
  t.diagnostic(`with stats: ${small.statements.length} statements for 10 webhooks, ${large.statements.length} for 100`);
  assert.equal(large.statements.length, small.statements.length, large.statements.join('\n'));
  // The key lookup, the page, one associate batch and three stats statements.
  assert.ok(large.statements.length <= 7, large.statements.join('\n'));
});

const LOG_EVENTS = `query($n: Int) { events(first: $n) { edges { node { id } } } }`;
const LOG_ATTEMPTS = `query($n: Int, $id: ID!) { webhook(id: $id) { deliveryAttempts(first: $n) { edges { node { id } } totalCount } } }`;
const LOG_DELIVERIES = `query($n: Int, $id: ID!) { webhook(id: $id) { deliveries(first: $n) { totalCount nodes {
  id event { id type } webhook { id name } attempts(first: 2) { totalCount nodes { id attemptNumber } }
} } } }`;
// Account-wide pages with a filter and every object link (the webhook id is only there to share the variables).
const LOG_ACCOUNT_ATTEMPTS = `query($n: Int, $id: ID!) { deliveryAttempts(first: $n, filter: { webhookIds: [$id], statuses: [FAILED] }) {
  totalCount totalCountIsLowerBound nodes { id cursor webhook { id name } delivery { id status } event { id type } }
} }`;
const LOG_ACCOUNT_DELIVERIES = `query($n: Int, $id: ID!) { deliveries(first: $n, filter: { webhookIds: [$id] }) {
  totalCount nodes { id cursor webhook { id } event { id type deliveries(first: 3) { totalCount nodes { id } } }
    attempts(first: 2, filter: { statuses: [FAILED] }) { totalCount nodes { id } } }
} }`;

test('delivery-log pages (events, deliveryAttempts, deliveries with their event, webhook and attempts) cost the same statements for 10 and 100 rows', async (t) => {
  await growTo(100);
  // At least 100 events (each also reaches the "*" subscribers; no worker, so no attempts yet).
  while (okData(await gql('{ events { totalCount } }')).events.totalCount < 101) {
    payloadOk(
      await gql(
        `mutation { publishEvent(input: { type: "webhook.deleted", payload: { probe: true } }) { event { id } userErrors { message } } }`,
      ),
      'publishEvent',
    );
  }
  // 110 deliveries of one webhook, each with two attempts, written as fixtures.
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const hook = await prisma.webhook.findFirstOrThrow({ where: { name: 'Listed 000' } });
  const deliveries = await prisma.delivery.findMany({ where: { webhookId: hook.id }, orderBy: { createdAt: 'desc' }, take: 110 });
  assert.ok(deliveries.length >= 101, `deliveries of ${hook.name}: ${deliveries.length}`);
  await prisma.deliveryAttempt.createMany({
    data: deliveries.flatMap((d, i) =>
      [1, 2].map((attemptNumber) => ({
        id: `qc${String(i).padStart(4, '0')}a${attemptNumber}`,
        accountId: d.accountId,
        deliveryId: d.id,
        webhookId: d.webhookId,
        attemptNumber,
        trigger: 'SCHEDULED' as const,
        status: 'FAILED' as const,
        requestUrl: hook.targetUrl,
        requestHeaders: '{}',
        requestBody: '{}',
        durationMs: 1,
      })),
    ),
  });

  // The most statements each may cost (the caller's key is cached by now):
  // events: the page; deliveryAttempts: the webhook, the page and its count;
  // deliveries: the webhook, the page, its count, then one batch each for the
  // deliveries' events, webhooks, attempts and attempt counts.
  const cases: [string, string, (data: any) => any[], number][] = [
    ['events', LOG_EVENTS, (d) => d.events.edges, 2],
    ['webhook.deliveryAttempts', LOG_ATTEMPTS, (d) => d.webhook.deliveryAttempts.edges, 3],
    ['webhook.deliveries with event, webhook and attempts', LOG_DELIVERIES, (d) => d.webhook.deliveries.nodes, 7],
    // The page, its count, then one batch each for webhooks, deliveries and events.
    ['deliveryAttempts with webhook, delivery and event', LOG_ACCOUNT_ATTEMPTS, (d) => d.deliveryAttempts.nodes, 5],
    // The page, its count, webhooks, events, the events' delivery pages and counts, the attempts and their counts.
    ['deliveries with webhook, event and its deliveries, attempts', LOG_ACCOUNT_DELIVERIES, (d) => d.deliveries.nodes, 8],
  ];
  for (const [name, query, rows, most] of cases) {
    const measureLog = async (n: number) => {
      const statements: string[] = [];
      const stop = onQuery((sql) => statements.push(sql));
      try {
        return { statements, data: okData(await gql(query, { n, id: hook.id })) };
      } finally {
        stop();
      }
    };
    const small = await measureLog(10);
    const large = await measureLog(100);
    assert.equal(rows(small.data).length, 10, name);
    assert.equal(rows(large.data).length, 100, name);
    t.diagnostic(`${name}: ${small.statements.length} statements for 10 rows, ${large.statements.length} for 100`);
    assert.equal(
      large.statements.length,
      small.statements.length,
      `${name}\n10: ${small.statements.join('\n')}\n100: ${large.statements.join('\n')}`,
    );
    assert.ok(large.statements.length <= most, `${name}: ${large.statements.join('\n')}`);
  }
  const attempts = await measure(LOG_ATTEMPTS.replace('$n: Int, $id: ID!', '$n: Int').replace('$id', `"${hook.id}"`), 100);
  assert.equal(attempts.data.webhook.deliveryAttempts.totalCount, 2 * deliveries.length);
  const nested = (await measure(LOG_DELIVERIES.replace('$n: Int, $id: ID!', '$n: Int').replace('$id', `"${hook.id}"`), 100)).data.webhook
    .deliveries;
  for (const d of nested.nodes) {
    assert.equal(d.webhook.id, hook.id);
    assert.match(d.event.type, /^webhook\./, 'a built-in event of this webhook account');
    assert.equal(d.attempts.totalCount, 2);
    assert.deepEqual(d.attempts.nodes.map((a: any) => a.attemptNumber).sort(), [1, 2]);
  }
});
