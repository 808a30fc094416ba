// Bad input that used to end in a masked "Unexpected error." (issue 8): an
// absurdly deep event payload, forged cursors, and the NUL character, which
// PostgreSQL refuses (error 22021) while SQLite stores it. Each must be a
// typed error naming the argument or field, the same on both databases.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql, type GqlResponse } from './helpers/graphql.js';
import {
  CREATE_API_KEY,
  CREATE_ASSOCIATE,
  CREATE_EVENT_TYPE,
  CREATE_WEBHOOK,
  DELETE_BY_URL,
  UPDATE_WEBHOOK,
  assertUserError,
  createWebhook,
  okData,
  payloadOk,
  webhookInput,
} from './helpers/webhooks.js';

const PUBLISH = `mutation($input: PublishEventInput!) {
  publishEvent(input: $input) { event { id } userErrors { field message code } }
}`;

let app: TestApp;
let gql: Gql;
let webhookId: string;

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
  payloadOk(await gql(CREATE_EVENT_TYPE, { input: { name: 'order.created', group: 'Orders' } }), 'createEventType');
  webhookId = (await createWebhook(gql, { name: 'Existing' })).webhook.id;
  // Something to page through.
  for (let i = 0; i < 3; i++) payloadOk(await gql(PUBLISH, { input: { type: 'order.created', payload: { i } } }), 'publishEvent');
});
after(() => app.stop());

/** A query refused before it ran: one BAD_USER_INPUT error naming `field`, never a masked one. */
function badUserInput(res: GqlResponse, field: string[], message?: RegExp) {
  assert.equal(res.status, 200);
  assert.equal(res.errors?.length, 1, JSON.stringify(res));
  const [error] = res.errors!;
  assert.doesNotMatch(error.message, /unexpected error/i);
  assert.equal(error.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(error));
  assert.deepEqual(error.extensions?.field, field);
  if (message) assert.match(error.message, message);
}

describe('publishEvent payload depth', () => {
  /** A payload object nesting `depth` objects and arrays, counting itself, written by hand (JSON.stringify overflows on deep values). */
  const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
  const post = (payload: string) =>
    fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': BOOTSTRAP_KEY },
      body: `{"query":${JSON.stringify(PUBLISH)},"variables":{"input":{"type":"order.created","payload":${payload}}}}`,
    }).then(async (r) => ({ status: r.status, ...((await r.json()) as any) }));

  test('5,000 levels deep is refused naming payload, not a stack overflow', async () => {
    const count = async () => okData(await gql('{ events(first: 1) { totalCount } }')).events.totalCount;
    const before = await count();
    for (const depth of [65, 5_000, 50_000]) {
      assertUserError(await post(nested(depth)), 'publishEvent', 'INVALID', ['input', 'payload'], /at most 64 levels deep/);
    }
    assert.equal(await count(), before, 'nothing was published');
  });

  test('64 levels is fine', async () => {
    const res = await post(nested(64));
    assert.deepEqual(res.data.publishEvent.userErrors, [], JSON.stringify(res));
    assert.ok(res.data.publishEvent.event.id);
  });
});

describe('forged cursors', () => {
  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const forged = [
    'not-a-cursor',
    '',
    b64('GPC:D:2020-01-01'),
    b64('GPC:N:1e400'),
    b64('GPC:J:{"id":1}'),
    b64('GPC:S:a\u0000'),
    b64({ f: 'REGISTERED', v: 1e20, i: 'abc' }),
    b64({ f: 'REGISTERED', v: 'yesterday', i: 'abc' }),
    b64({ f: 'REGISTERED', v: 8.64e15 + 1, i: 'abc' }),
    b64({ f: 'NAME', v: 'a', i: 'abc' }),
  ];

  test('events: BAD_USER_INPUT naming after or before', async () => {
    for (const cursor of forged) {
      badUserInput(await gql('query($c: String) { events(first: 2, after: $c) { edges { cursor } } }', { c: cursor }), ['after']);
      badUserInput(await gql('query($c: String) { events(last: 2, before: $c) { edges { cursor } } }', { c: cursor }), ['before']);
    }
  });

  test('webhooks sorted by REGISTERED: BAD_USER_INPUT naming after or before', async () => {
    const order = '{ field: REGISTERED, direction: ASC }';
    for (const cursor of forged) {
      badUserInput(
        await gql(`query($c: String) { webhooks(first: 2, after: $c, orderBy: ${order}) { edges { cursor } } }`, { c: cursor }),
        ['after'],
      );
      badUserInput(
        await gql(`query($c: String) { webhooks(last: 2, before: $c, orderBy: ${order}) { edges { cursor } } }`, { c: cursor }),
        ['before'],
      );
    }
  });
});

describe('the NUL character (U+0000)', () => {
  const NUL = 'a\u0000b';

  test('in mutation inputs: an INVALID userError naming the field; nothing is written', async () => {
    const cases: [string, string, Record<string, unknown>, string[]][] = [
      ['createWebhook', CREATE_WEBHOOK, { input: webhookInput({ name: NUL }) }, ['input', 'name']],
      ['createWebhook', CREATE_WEBHOOK, { input: webhookInput({ targetUrl: `https://hooks.example.com/${NUL}` }) }, ['input', 'targetUrl']],
      ['createWebhook', CREATE_WEBHOOK, { input: webhookInput({ events: ['order.created', NUL] }) }, ['input', 'events', '1']],
      ['createWebhook', CREATE_WEBHOOK, { input: webhookInput({ properties: { note: NUL } }) }, ['input', 'properties', 'note']],
      [
        'createWebhook',
        CREATE_WEBHOOK,
        { input: webhookInput({ properties: { deep: [{ x: NUL }] } }) },
        ['input', 'properties', 'deep', '0', 'x'],
      ],
      ['createWebhook', CREATE_WEBHOOK, { input: webhookInput({ properties: { [NUL]: 'key' } }) }, ['input', 'properties']],
      ['createWebhook', CREATE_WEBHOOK, { input: webhookInput({ headers: { 'X-A': NUL } }) }, ['input', 'headers', 'X-A']],
      ['updateWebhook', UPDATE_WEBHOOK, { id: webhookId, input: { name: NUL } }, ['input', 'name']],
      ['updateWebhook', UPDATE_WEBHOOK, { id: webhookId, input: { properties: { note: NUL } } }, ['input', 'properties', 'note']],
      ['updateWebhook', UPDATE_WEBHOOK, { id: NUL, input: { name: 'x' } }, ['id']],
      ['deleteWebhooksByUrl', DELETE_BY_URL, { url: `https://hooks.example.com/${NUL}` }, ['url']],
      ['publishEvent', PUBLISH, { input: { type: 'order.created', payload: {}, idempotencyKey: NUL } }, ['input', 'idempotencyKey']],
      ['publishEvent', PUBLISH, { input: { type: NUL, payload: {} } }, ['input', 'type']],
      ['publishEvent', PUBLISH, { input: { type: 'order.created', payload: { text: NUL } } }, ['input', 'payload', 'text']],
      ['createApiKey', CREATE_API_KEY, { input: { name: NUL } }, ['input', 'name']],
      ['createApiKey', CREATE_API_KEY, { input: { name: 'k', application: NUL } }, ['input', 'application']],
      ['createAssociate', CREATE_ASSOCIATE, { input: { name: NUL, email: 'nul@example.com', role: 'MEMBER' } }, ['input', 'name']],
      ['createEventType', CREATE_EVENT_TYPE, { input: { name: 'nul.test', group: NUL } }, ['input', 'group']],
      ['createEventType', CREATE_EVENT_TYPE, { input: { name: 'nul.test', group: 'G', description: NUL } }, ['input', 'description']],
    ];
    const counts = () =>
      gql('{ webhooks(first: 1) { totalCount } events(first: 1) { totalCount } apiKeys { id } associates { id } eventTypes { id } }');
    const before = okData(await counts());
    for (const [mutation, doc, vars, field] of cases) {
      const error = assertUserError(await gql(doc, vars), mutation, 'INVALID', field, /NUL character/);
      assert.equal(error.message, `${field.join('.')} must not contain the NUL character (U+0000)`);
    }
    assert.deepEqual(okData(await counts()), before, 'nothing was written');
    assert.equal(okData(await gql('query($id: ID!) { webhook(id: $id) { name } }', { id: webhookId })).webhook.name, 'Existing');
  });

  test('in query arguments: BAD_USER_INPUT naming the argument', async () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      ['query($s: String) { webhooks(first: 5, filter: { search: $s }) { totalCount } }', { s: NUL }, ['filter', 'search']],
      ['query($s: String) { webhooks(first: 5, filter: { event: $s }) { totalCount } }', { s: NUL }, ['filter', 'event']],
      ['query($s: String) { webhooksPage(limit: 5, filter: { search: $s }) { totalCount } }', { s: NUL }, ['filter', 'search']],
      ['query($s: String) { events(first: 5, type: $s) { totalCount } }', { s: NUL }, ['type']],
      ['query($s: String) { eventTypes(group: $s) { name } }', { s: NUL }, ['group']],
      ['query($s: ID!) { webhook(id: $s) { name } }', { s: NUL }, ['id']],
      ['query($s: ID!) { event(id: $s) { id } }', { s: NUL }, ['id']],
      ['query($s: ID!) { delivery(id: $s) { id } }', { s: NUL }, ['id']],
      ['query($s: ID!) { deliveryAttempt(id: $s) { id } }', { s: NUL }, ['id']],
    ];
    for (const [doc, vars, field] of cases) badUserInput(await gql(doc, vars), field, /NUL character/);
  });

  test('a search for the escape sequence "\\u0000" as text is an ordinary search', async () => {
    const res = okData(await gql('query($s: String) { webhooks(first: 5, filter: { search: $s }) { totalCount } }', { s: '\\u0000' }));
    assert.equal(res.webhooks.totalCount, 0);
  });
});
