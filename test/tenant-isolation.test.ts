// A second account must never see or change the first account's data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import {
  CREATE_EVENT_TYPE,
  CREATE_WEBHOOK,
  DELETE_BY_URL,
  DELETE_WEBHOOK,
  GET_WEBHOOK,
  REVOKE_API_KEY,
  ROTATE,
  SET_ACTIVE,
  UPDATE_WEBHOOK,
  assertUserError,
  createApiKey,
  createAssociate,
  createWebhook,
  okData,
  payloadOk,
  webhookInput,
} from './helpers/webhooks.js';

let app: TestApp;
let first: Gql; // account "default"
let second: Gql; // account "other"
let secondAssociateId: string;
let firstWebhook: any;
let firstSecret: string;
let firstKeyId: string;
let firstKey: string;
let firstAssociate: any;
const URL_A = 'https://hooks.example.com/tenant-a';

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  first = client(app.url, BOOTSTRAP_KEY);
  const tenant = await createTenant('other');
  second = client(app.url, tenant.apiKey);
  secondAssociateId = tenant.associateId;
  payloadOk(await first(CREATE_EVENT_TYPE, { input: { name: 'contact.created', group: 'Contacts' } }), 'createEventType');
  firstAssociate = await createAssociate(first, { name: 'First Person', email: 'first@example.com', role: 'ADMIN' });
  ({ webhook: firstWebhook, secret: firstSecret } = await createWebhook(first, {
    name: 'Tenant A hook',
    targetUrl: URL_A,
    events: ['contact.created'],
    ownerId: firstAssociate.id,
  }));
  ({
    key: firstKey,
    apiKey: { id: firstKeyId },
  } = await createApiKey(first, { name: 'first account key', application: 'billing' }));
});
after(() => app.stop());

/** The first account's webhook, read by its own admin, is exactly as created. */
async function assertFirstWebhookUntouched() {
  const w = okData(await first(GET_WEBHOOK, { id: firstWebhook.id })).webhook;
  assert.deepEqual(w, firstWebhook);
}

test('the second account cannot read the webhook by id', async () => {
  assert.equal(okData(await second(GET_WEBHOOK, { id: firstWebhook.id })).webhook, null);
});

test("the second account sees none of the first account's webhooks in any listing", async () => {
  const data = okData(
    await second(`{
      all: webhooks(first: 100) { totalCount edges { node { id } } }
      byName: webhooks(first: 100, filter: { search: "Tenant A" }) { totalCount }
      byUrl: webhooks(first: 100, filter: { search: "tenant-a" }) { totalCount }
      byEvent: webhooks(first: 100, filter: { event: "contact.created" }) { totalCount }
      backwards: webhooks(last: 100) { totalCount edges { node { id } } }
      page: webhooksPage(limit: 100) { totalCount items { id } }
    }`),
  );
  assert.deepEqual(data.all, { totalCount: 0, edges: [] });
  assert.equal(data.byName.totalCount, 0);
  assert.equal(data.byUrl.totalCount, 0);
  assert.equal(data.byEvent.totalCount, 0);
  assert.deepEqual(data.backwards, { totalCount: 0, edges: [] });
  assert.deepEqual(data.page, { totalCount: 0, items: [] });
  // The first account does see it, so the empty lists above mean something.
  assert.equal(okData(await first('{ webhooks(first: 100) { totalCount } }')).webhooks.totalCount, 1);
});

test('the second account cannot update, toggle, delete or rotate it: NOT_FOUND, and nothing changes', async () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['updateWebhook', UPDATE_WEBHOOK, { id: firstWebhook.id, input: { name: 'Stolen', targetUrl: 'https://evil.example.com/' } }],
    ['setWebhookActive', SET_ACTIVE, { id: firstWebhook.id, active: false }],
    ['rotateWebhookSecret', ROTATE, { id: firstWebhook.id }],
    ['deleteWebhook', DELETE_WEBHOOK, { id: firstWebhook.id }],
  ];
  for (const [name, doc, vars] of cases) {
    const res = await second(doc, vars);
    assertUserError(res, name, 'NOT_FOUND', ['id']);
    assert.ok(!JSON.stringify(res.data).includes('Tenant A hook'), `${name} leaked the webhook`);
  }
  await assertFirstWebhookUntouched();
  // The secret was not rotated: the first account's original secret still signs.
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const { signingSecrets } = await import('./helpers/app.js');
  const row = await prisma.webhook.findUniqueOrThrow({ where: { id: firstWebhook.id } });
  assert.deepEqual(signingSecrets(row), [firstSecret]);
});

test("deleteWebhooksByUrl only reaches the caller's own account", async () => {
  const own = (await createWebhook(second, { name: 'Tenant B same URL', targetUrl: URL_A })).webhook;
  const payload = payloadOk(await second(DELETE_BY_URL, { url: URL_A }), 'deleteWebhooksByUrl');
  assert.deepEqual(payload.deletedWebhookIds, [own.id]);
  await assertFirstWebhookUntouched();
});

test("the second account sees none of the first account's API keys or associates", async () => {
  const data = okData(await second('{ apiKeys { id name associate { id } } associates { id name email } viewer { id } }'));
  assert.deepEqual(data.viewer, { id: secondAssociateId });
  assert.deepEqual(
    data.associates.map((a: any) => a.id),
    [secondAssociateId],
  );
  assert.ok(data.apiKeys.length >= 1);
  for (const k of data.apiKeys) assert.equal(k.associate.id, secondAssociateId);
  assert.ok(!data.apiKeys.some((k: any) => k.id === firstKeyId));
  const own = okData(await first('{ apiKeys { id } associates { id } }'));
  assert.ok(own.apiKeys.some((k: any) => k.id === firstKeyId));
  assert.ok(own.associates.some((a: any) => a.id === firstAssociate.id));
});

test("the second account cannot revoke the first account's key", async () => {
  assertUserError(await second(REVOKE_API_KEY, { id: firstKeyId }), 'revokeApiKey', 'NOT_FOUND', ['id']);
  assert.equal(okData(await client(app.url, firstKey)('{ viewer { id } }')).viewer.id, okData(await first('{ viewer { id } }')).viewer.id);
});

test("the first account's associates cannot be used as owner or key holder in the second", async () => {
  assertUserError(await second(CREATE_WEBHOOK, { input: webhookInput({ ownerId: firstAssociate.id }) }), 'createWebhook', 'NOT_FOUND', [
    'input',
    'ownerId',
  ]);
  const own = (await createWebhook(second, {})).webhook;
  assertUserError(await second(UPDATE_WEBHOOK, { id: own.id, input: { ownerId: firstAssociate.id } }), 'updateWebhook', 'NOT_FOUND', [
    'input',
    'ownerId',
  ]);
  assertUserError(
    await second('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { field message code } } }', {
      input: { name: 'borrowed', associateId: firstAssociate.id },
    }),
    'createApiKey',
    'NOT_FOUND',
    ['input', 'associateId'],
  );
});

test('custom event types belong to one account', async () => {
  const names = okData(await second('{ eventTypes { name } }')).eventTypes.map((t: any) => t.name);
  assert.ok(!names.includes('contact.created'));
  assertUserError(await second(CREATE_WEBHOOK, { input: webhookInput({ events: ['contact.created'] }) }), 'createWebhook', 'INVALID', [
    'input',
    'events',
  ]);
  // The second account may define the same name for itself.
  payloadOk(await second(CREATE_EVENT_TYPE, { input: { name: 'contact.created', group: 'Mine' } }), 'createEventType');
});

test('webhook names are unique per account, not across accounts', async () => {
  const { webhook } = await createWebhook(second, { name: 'tenant a HOOK' });
  assert.equal(webhook.name, 'tenant a HOOK');
});

test("the second account sees none of the first account's built-in events", async () => {
  const data = okData(await second('{ events(first: 100) { edges { node { id type payload } } } }'));
  assert.ok(!JSON.stringify(data).includes(firstWebhook.id), "an event about the first account's webhook leaked");
  assert.ok(!JSON.stringify(data).includes('first account key'));
  assert.ok(data.events.edges.length > 0, 'the second account has events of its own');
  const own = okData(await first('{ events(first: 100) { edges { node { payload } } } }'));
  assert.ok(JSON.stringify(own).includes(firstWebhook.id), 'the first account sees its own event');
});

test("the delivery log (events, deliveries, attempts) is scoped to the caller's account, whatever the cursor", async () => {
  const publish = (gql: Gql, type: string, n: number) =>
    gql(
      'mutation($type: String!, $p: JSON!) { publishEvent(input: { type: $type, payload: $p }) { event { id } deliveryCount userErrors { message } } }',
      {
        type,
        p: { n },
      },
    );
  // The first account's event reaches its webhook (no worker: the delivery stays pending) ...
  const published = payloadOk(await publish(first, 'contact.created', 1), 'publishEvent');
  assert.equal(published.deliveryCount, 1);
  const firstEventId = published.event.id;
  // ... and gets an attempt, written as a fixture.
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const delivery = await prisma.delivery.findFirstOrThrow({ where: { eventId: firstEventId } });
  const attempt = await prisma.deliveryAttempt.create({
    data: {
      id: 'tenantAttempt1',
      accountId: delivery.accountId,
      deliveryId: delivery.id,
      webhookId: delivery.webhookId,
      attemptNumber: 1,
      trigger: 'SCHEDULED',
      status: 'FAILED',
      requestUrl: URL_A,
      requestHeaders: '{}',
      requestBody: '{}',
      durationMs: 1,
    },
  });
  // The second account's own log, to page through.
  const secondHook = (await createWebhook(second, { name: 'Tenant B log', events: ['contact.created'] })).webhook;
  for (let n = 0; n < 3; n += 1) payloadOk(await publish(second, 'contact.created', n), 'publishEvent');

  // The first account sees its rows, so the empty answers below mean something.
  const own = okData(
    await first(
      `query($d: ID!, $w: ID!) {
        events(first: 100, type: "contact.created") { edges { cursor node { id } } }
        delivery(id: $d) { id attempts { totalCount edges { cursor node { id } } } }
        webhook(id: $w) { deliveries { totalCount edges { cursor } } deliveryAttempts { totalCount edges { cursor } } }
      }`,
      { d: delivery.id, w: firstWebhook.id },
    ),
  );
  assert.deepEqual(
    own.events.edges.map((e: any) => e.node.id),
    [firstEventId],
  );
  assert.deepEqual(
    own.delivery.attempts.edges.map((e: any) => e.node.id),
    [attempt.id],
  );
  assert.equal(own.webhook.deliveries.totalCount, 1);
  assert.equal(own.webhook.deliveryAttempts.totalCount, 1);

  const byId = okData(
    await second('query($e: ID!, $d: ID!, $a: ID!) { event(id: $e) { id } delivery(id: $d) { id } deliveryAttempt(id: $a) { id } }', {
      e: firstEventId,
      d: delivery.id,
      a: attempt.id,
    }),
  );
  assert.deepEqual(byId, { event: null, delivery: null, deliveryAttempt: null });

  // Cursors of the first account's rows, replayed by the second account, page
  // only through the second account's rows.
  const secondEvents = okData(await second('{ events(first: 100, type: "contact.created") { totalCount edges { node { id } } } }')).events;
  assert.equal(secondEvents.totalCount, 3);
  const secondEventIds = new Set(secondEvents.edges.map((e: any) => e.node.id));
  const foreign = {
    event: own.events.edges[0].cursor,
    attempt: own.delivery.attempts.edges[0].cursor,
    delivery: own.webhook.deliveries.edges[0].cursor,
  };
  // Each list takes only its own kind of cursor (the delivery log's cursors name their list).
  for (const dir of ['after', 'before']) {
    const size = dir === 'after' ? 'first' : 'last';
    const page = okData(
      await second(
        `query($ce: String, $cd: String, $ca: String, $w: ID!) {
          events(${size}: 100, ${dir}: $ce, type: "contact.created") { totalCount edges { node { id } } }
          webhook(id: $w) {
            deliveries(${size}: 100, ${dir}: $cd) { totalCount edges { node { id webhookId event { id } attempts { totalCount } } } }
            deliveryAttempts(${size}: 100, ${dir}: $ca) { totalCount edges { node { id } } }
          }
        }`,
        { ce: foreign.event, cd: foreign.delivery, ca: foreign.attempt, w: secondHook.id },
      ),
    );
    const text = JSON.stringify(page);
    assert.ok(
      !text.includes(firstEventId) && !text.includes(delivery.id) && !text.includes(attempt.id),
      `${dir}: the first account's rows leaked: ${text}`,
    );
    for (const e of page.events.edges) assert.ok(secondEventIds.has(e.node.id), `${dir}: ${e.node.id} is not the second account's`);
    for (const e of page.webhook.deliveries.edges) {
      assert.equal(e.node.webhookId, secondHook.id);
      assert.ok(secondEventIds.has(e.node.event.id));
    }
    // Counts are of the caller's rows, whatever the cursor.
    assert.equal(page.events.totalCount, 3);
    assert.equal(page.webhook.deliveries.totalCount, 3);
    assert.equal(page.webhook.deliveryAttempts.totalCount, 0);
  }
});

test("the delivery log's account-wide pages, filters, cursors and links show another account nothing", async () => {
  const { testDb } = await import('./helpers/app.js');
  const published = okData(
    await first(`mutation { publishEvent(input: { type: "contact.created", payload: { who: "first" } }) { event { id } deliveryCount } }`),
  ).publishEvent;
  assert.equal(published.deliveryCount, 1);
  const eventId = published.event.id;
  const { prisma } = testDb();
  const delivery = await prisma.delivery.findFirstOrThrow({ where: { eventId } });
  await prisma.deliveryAttempt.create({
    data: {
      id: `iso${Date.now()}`,
      accountId: delivery.accountId,
      deliveryId: delivery.id,
      webhookId: firstWebhook.id,
      attemptNumber: 1,
      trigger: 'SCHEDULED',
      status: 'FAILED',
      requestUrl: URL_A,
      requestHeaders: '{}',
      requestBody: '{}',
      responseStatus: 500,
      responseBody: 'first account secret body',
      errorClass: 'HTTP_ERROR',
      durationMs: 1,
    },
  });
  const LOG = `query($a: DeliveryAttemptFilter, $d: DeliveryFilter, $after: String) {
    deliveries(filter: $d) { totalCount nodes { id } }
    deliveryAttempts(filter: $a, after: $after) { totalCount nodes { id } }
  }`;
  const mine = okData(await first(LOG, { a: { search: 'secret body' }, d: { eventId } }));
  assert.equal(mine.deliveries.totalCount, 1);
  assert.equal(mine.deliveryAttempts.totalCount, 1);
  const cursor = okData(
    await first(
      '{ deliveryAttempts(first: 1, filter: { search: "secret" }) { edges { cursor node { webhook { id } delivery { id } event { id } } } } }',
    ),
  ).deliveryAttempts.edges[0];
  assert.deepEqual(cursor.node, { webhook: { id: firstWebhook.id }, delivery: { id: delivery.id }, event: { id: eventId } });
  const firstIds = [eventId, delivery.id, mine.deliveryAttempts.nodes[0].id];
  // The second account has deliveries of its own (the test above), never the first's.
  for (const vars of [{}, { a: { errorClasses: ['HTTP_ERROR'] }, d: { statuses: ['PENDING'], eventTypes: ['contact.created'] } }]) {
    const text = JSON.stringify(okData(await second(LOG, vars)));
    for (const id of firstIds) assert.ok(!text.includes(id), `${JSON.stringify(vars)}: ${text}`);
  }
  for (const vars of [
    { a: { webhookIds: [firstWebhook.id] }, d: { webhookIds: [firstWebhook.id] } },
    { a: { eventId }, d: { eventId } },
    { a: { search: 'secret body' }, d: { eventId } },
  ]) {
    const theirs = okData(await second(LOG, vars));
    assert.deepEqual(theirs.deliveries, { totalCount: 0, nodes: [] }, JSON.stringify(vars));
    assert.deepEqual(theirs.deliveryAttempts, { totalCount: 0, nodes: [] }, JSON.stringify(vars));
  }
  // A cursor is a position, not a key to someone else's rows.
  for (const dir of ['first: 100, after', 'last: 100, before']) {
    const paged = JSON.stringify(
      okData(await second(`query($c: String) { deliveryAttempts(${dir}: $c) { nodes { id } } }`, { c: cursor.cursor })),
    );
    for (const id of firstIds) assert.ok(!paged.includes(id), paged);
  }
  const objects = okData(
    await second('query($e: ID!, $d: ID!) { event(id: $e) { id } delivery(id: $d) { id } }', { e: eventId, d: delivery.id }),
  );
  assert.deepEqual(objects, { event: null, delivery: null });
});

test("issue 12's additions stay in the caller's account: associates, account, nodes, own secrets", async () => {
  // updateAssociate / deleteAssociate: the first account's associates are NOT_FOUND, and cannot be given anything.
  const rename = `mutation($id: ID!) { updateAssociate(id: $id, input: { name: "Stolen", role: ADMIN }) { associate { id } userErrors { field message code } } }`;
  assertUserError(await second(rename, { id: firstAssociate.id }), 'updateAssociate', 'NOT_FOUND', ['id']);
  const remove = `mutation($id: ID!, $to: ID) { deleteAssociate(id: $id, reassignTo: $to) { success userErrors { field message code } } }`;
  assertUserError(await second(remove, { id: firstAssociate.id, to: secondAssociateId }), 'deleteAssociate', 'NOT_FOUND', ['id']);
  const spare = (await createAssociate(second, { name: 'Second Spare', email: 'spare@example.com', role: 'MEMBER' })).id;
  assertUserError(await second(remove, { id: spare, to: firstAssociate.id }), 'deleteAssociate', 'NOT_FOUND', ['reassignTo']);
  const still = okData(await first('{ associates { id name role } }')).associates.find((a: any) => a.id === firstAssociate.id);
  assert.deepEqual(still, { id: firstAssociate.id, name: 'First Person', role: 'ADMIN' });
  // account and updateAccount: only one's own.
  const mine = okData(await first('{ account { id name } }')).account;
  payloadOk(
    await second(`mutation { updateAccount(input: { name: "other renamed" }) { account { id } userErrors { code } } }`),
    'updateAccount',
  );
  assert.deepEqual(okData(await first('{ account { id name } }')).account, mine);
  // node / nodes: the first account's objects are null for the second.
  const nodes = okData(
    await second(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [firstWebhook.id, firstAssociate.id, firstKeyId, mine.id] }),
  ).nodes;
  assert.deepEqual(nodes, [null, null, null, null]);
  // rotateWebhookSecret with a secret of one's own: NOT_FOUND, the first secret still signs.
  const rotate = `mutation($id: ID!, $s: String) { rotateWebhookSecret(id: $id, secret: $s) { secret userErrors { field message code } } }`;
  assertUserError(
    await second(rotate, { id: firstWebhook.id, s: 'a-secret-chosen-by-an-attacker-0001' }),
    'rotateWebhookSecret',
    'NOT_FOUND',
    ['id'],
  );
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const { signingSecrets } = await import('./helpers/app.js');
  assert.deepEqual(signingSecrets(await prisma.webhook.findUniqueOrThrow({ where: { id: firstWebhook.id } })), [firstSecret]);
  await assertFirstWebhookUntouched();
});
