// Relay's Global Object Identification: every object type implements Node,
// and node(id:)/nodes(ids:) refetch any object of the caller's account by the
// id every other field returns (and takes). End to end over HTTP against a
// real server, database and receiver.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isObjectType, isNonNullType, getNamedType, type GraphQLSchema } from 'graphql';
import { onQuery, startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { assertUserError, createApiKey, createAssociate, createWebhook, okData, payloadOk, UPDATE_WEBHOOK } from './helpers/webhooks.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;
/** One id of each object type, by type name. */
const ids: Record<string, string> = {};

const NODE = `query($id: ID!) { node(id: $id) { __typename id } }`;
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  ids.Account = okData(await gql('{ account { id } }')).account.id;
  ids.Associate = (await createAssociate(gql, { name: 'Noel Node', email: 'noel@example.com', role: 'MEMBER' })).id;
  ids.ApiKey = (await createApiKey(gql, { name: 'node key' })).apiKey.id;
  ids.ConsoleLink = payloadOk(
    await gql(`mutation { createConsoleLink(input: { role: MEMBER }) { consoleLink { id } userErrors { message } } }`),
    'createConsoleLink',
  ).consoleLink.id;
  ids.EventType = payloadOk(
    await gql(`mutation { createEventType(input: { name: "node.tested", group: "Nodes" }) { eventType { id } userErrors { message } } }`),
    'createEventType',
  ).eventType.id;
  ids.Webhook = (await createWebhook(gql, { targetUrl: receiver.url, events: ['node.tested'] })).webhook.id;
  ids.Event = payloadOk(
    await gql(`mutation { publishEvent(input: { type: "node.tested", payload: { n: 1 } }) { event { id } userErrors { message } } }`),
    'publishEvent',
  ).event.id;
  await receiver.waitFor(1);
  const attempt = await waitUntil(
    async () =>
      okData(await gql(`{ deliveryAttempts(first: 1, filter: { eventTypes: ["node.tested"] }) { nodes { id deliveryId } } }`))
        .deliveryAttempts.nodes[0],
    'the attempt of the delivery to the receiver',
  );
  ids.DeliveryAttempt = attempt.id;
  ids.Delivery = attempt.deliveryId;
  ids.BulkOperation = payloadOk(
    await gql(`mutation { retryDeliveries(filter: { statuses: [FAILED] }) { bulkOperation { id } userErrors { message } } }`),
    'retryDeliveries',
  ).bulkOperation.id;
});
after(async () => {
  await app.stop();
  await receiver.close();
});

describe('the Node interface', () => {
  test('every object type with an id implements Node', async () => {
    const { schema } = (await import('../src/schema/index.js')) as { schema: GraphQLSchema };
    const withId = Object.values(schema.getTypeMap()).filter(
      (t) =>
        isObjectType(t) &&
        !t.name.startsWith('__') &&
        t.getFields().id &&
        isNonNullType(t.getFields().id.type) &&
        getNamedType(t.getFields().id.type).name === 'ID',
    );
    const node = schema.getType('Node');
    const names = withId.map((t) => t.name).sort();
    assert.deepEqual(names, Object.keys(ids).sort(), 'the types with an id are the ones this test fetches');
    for (const t of withId) assert.ok(isObjectType(t) && t.getInterfaces().includes(node as never), `${t.name} implements Node`);
  });

  test('node(id) refetches an object of every type, with its fields', async () => {
    for (const [type, id] of Object.entries(ids)) {
      const got = okData(await gql(NODE, { id })).node;
      assert.deepEqual(got, { __typename: type, id }, type);
    }
    const webhook = okData(
      await gql(`query($id: ID!) { node(id: $id) { id ... on Webhook { name events owner { id } } } }`, { id: ids.Webhook }),
    ).node;
    assert.deepEqual(webhook.events, ['node.tested']);
    const attempt = okData(
      await gql(`query($id: ID!) { node(id: $id) { ... on DeliveryAttempt { status webhook { id } event { id } delivery { id } } } }`, {
        id: ids.DeliveryAttempt,
      }),
    ).node;
    assert.deepEqual(attempt, {
      status: 'SUCCEEDED',
      webhook: { id: ids.Webhook },
      event: { id: ids.Event },
      delivery: { id: ids.Delivery },
    });
  });

  test('built-in event types are nodes too', async () => {
    const builtIn = okData(await gql(`{ eventTypes(group: "Invites") { id } }`)).eventTypes[0].id;
    const got = okData(
      await gql(`query($id: ID!) { node(id: $id) { __typename ... on EventType { name builtIn } } }`, { id: builtIn }),
    ).node;
    assert.deepEqual(got, { __typename: 'EventType', name: 'invite.created', builtIn: true });
  });

  test('nodes(ids) answers in order, null for unknown ids, in one statement plus one per type', async () => {
    const wanted = [ids.Webhook, 'missing0000000000000000', ids.Associate, ids.Webhook, ids.Event];
    const statements: string[] = [];
    const off = onQuery((sql) => statements.push(sql));
    const got = okData(await gql(NODES, { ids: wanted })).nodes;
    off();
    assert.deepEqual(got, [
      { __typename: 'Webhook', id: ids.Webhook },
      null,
      { __typename: 'Associate', id: ids.Associate },
      { __typename: 'Webhook', id: ids.Webhook },
      { __typename: 'Event', id: ids.Event },
    ]);
    const reads = statements.filter((s) => /^\s*SELECT/i.test(s) && !/"ApiKey" k JOIN|_hookline/.test(s));
    assert.equal(reads.length, 4, `one lookup of the tables, then Webhook, Associate and Event:\n${reads.join('\n')}`);
    assert.deepEqual(okData(await gql(NODES, { ids: [] })).nodes, []);
  });

  test('more than 100 ids is BAD_USER_INPUT', async () => {
    const res = await gql(NODES, { ids: Array.from({ length: 101 }, (_, i) => `id${i}`) });
    assert.equal(res.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(res.errors?.[0].extensions?.field, ['ids']);
  });

  test('the ids node returns are the ids every input takes', async () => {
    const { id } = okData(await gql(NODE, { id: ids.Webhook })).node;
    const renamed = payloadOk(await gql(UPDATE_WEBHOOK, { id, input: { name: 'Renamed by node id' } }), 'updateWebhook').webhook;
    assert.equal(renamed.id, ids.Webhook);
    const filtered = okData(
      await gql(`query($w: [ID!]) { deliveries(first: 5, filter: { webhookIds: $w }) { nodes { id } } }`, { w: [id] }),
    ).deliveries.nodes;
    assert.deepEqual(
      filtered.map((d: any) => d.id),
      [ids.Delivery],
    );
  });
});

describe('what node(id) may reach', () => {
  test("another account's objects are null, whatever their type", async () => {
    const tenant = await createTenant(`node-tenant-${Date.now()}`);
    const other = client(app.url, tenant.apiKey);
    const got = okData(await other(NODES, { ids: Object.values(ids).filter((id) => !id.startsWith('builtin:')) })).nodes;
    assert.deepEqual(got, new Array(got.length).fill(null));
    assert.equal(okData(await other(NODE, { id: ids.Account })).node, null);
    // Its own account is there.
    assert.deepEqual(okData(await other(NODE, { id: tenant.accountId })).node, { __typename: 'Account', id: tenant.accountId });
    // And the first account cannot reach the other's.
    assert.equal(okData(await gql(NODE, { id: tenant.associateId })).node, null);
  });

  test('a MEMBER reads what the MEMBER can list, but not console links (admins only, as consoleLinks)', async () => {
    const member = client(app.url, (await createApiKey(gql, { name: 'member node key', associateId: ids.Associate })).key);
    assert.equal(okData(await member(NODE, { id: ids.ConsoleLink })).node, null);
    assert.deepEqual(okData(await member(NODE, { id: ids.Webhook })).node, { __typename: 'Webhook', id: ids.Webhook });
    assert.deepEqual(okData(await member(NODE, { id: ids.ApiKey })).node, { __typename: 'ApiKey', id: ids.ApiKey });
    // Still refused to change anything it fetched.
    assertUserError(await member(UPDATE_WEBHOOK, { id: ids.Webhook, input: { name: 'No' } }), 'updateWebhook', 'FORBIDDEN', null);
  });
});
