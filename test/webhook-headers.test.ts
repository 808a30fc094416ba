// Custom headers are credentials: sealed at rest, sent in clear to the
// receiver, and shown masked everywhere else (queries of any key, attempt
// records, the live streams). An update keeps a masked value it is sent back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, testDb, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, publish } from './helpers/dispatch.js';
import { payloadOk, refused } from './helpers/webhooks.js';
import { settle, waitUntil } from './helpers/wait.js';

const ENCRYPTION_KEY = randomBytes(32);
const TOKEN = 'Bearer tok-7d1f0c9a2b';
const TENANT = 'tenant-acme-4411';
const MASK = '********';

let app: TestApp;
let admin: Gql;
let member: Gql;
let memberKey: string;
let receiver: Receiver;
let webhookId: string;
const clients: Client[] = [];

const HOOK = 'id headers sensitiveHeaders';
const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { ${HOOK} } userErrors { field message code } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { webhook { ${HOOK} } userErrors { field message code } } }`;
const PING = `mutation($id: ID!) { pingWebhook(id: $id) { attempt { id requestHeaders } userErrors { code message } } }`;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', SECRET_ENCRYPTION_KEY: ENCRYPTION_KEY.toString('hex') });
  admin = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await createEventType(admin, 'order.paid');
  const assoc = payloadOk(
    await admin(
      `mutation { createAssociate(input: { name: "Reader", email: "reader@example.com", role: MEMBER }) { associate { id } userErrors { message } } }`,
    ),
    'createAssociate',
  );
  memberKey = payloadOk(
    await admin(`mutation($a: ID!) { createApiKey(input: { name: "reader", associateId: $a }) { key userErrors { message } } }`, {
      a: assoc.associate.id,
    }),
    'createApiKey',
  ).key;
  member = client(app.url, memberKey);
  const created = payloadOk(
    await admin(CREATE, {
      input: {
        name: 'Credentialed',
        targetUrl: receiver.url,
        events: ['order.paid'],
        headers: { Authorization: TOKEN, 'X-Tenant': TENANT, 'X-Team': 'growth' },
        sensitiveHeaders: ['x-tenant'],
      },
    }),
    'createWebhook',
  );
  webhookId = created.webhook.id;
  assert.deepEqual(
    created.webhook.headers,
    { Authorization: MASK, 'X-Tenant': MASK, 'X-Team': 'growth' },
    'masked in the create payload too',
  );
});
after(async () => {
  for (const c of clients) await c.dispose();
  await app.stop();
  await receiver.close();
});

/** Fails if a response, row or file holds either secret value. */
function assertNoSecret(text: string, where: string) {
  assert.ok(!text.includes('tok-7d1f0c9a2b'), `${where} holds the Authorization value`);
  assert.ok(!text.includes(TENANT), `${where} holds the marked X-Tenant value`);
}

test('every key, MEMBER or ADMIN, reads sensitive values masked, in every webhook query', async () => {
  for (const gql of [member, admin]) {
    const one = await gql(`query($id: ID!) { webhook(id: $id) { ${HOOK} } }`, { id: webhookId });
    assert.deepEqual(one.data.webhook, {
      id: webhookId,
      headers: { Authorization: MASK, 'X-Tenant': MASK, 'X-Team': 'growth' },
      sensitiveHeaders: ['Authorization', 'X-Tenant'],
    });
    const lists = await gql(`{ webhooks { edges { node { ${HOOK} } } } webhooksPage { items { ${HOOK} } } }`);
    assert.equal(lists.errors, undefined);
    assert.deepEqual(lists.data.webhooks.edges[0].node, one.data.webhook);
    assert.deepEqual(lists.data.webhooksPage.items[0], one.data.webhook);
    assertNoSecret(JSON.stringify([one, lists]), 'a query');
  }
});

test('the receiver gets the real values; the attempt records and the database hold them masked', async () => {
  const pinged = payloadOk(await admin(PING, { id: webhookId }), 'pingWebhook');
  const { eventId } = await publish(admin, 'order.paid', { n: 1 });
  const [ping, delivery] = await receiver.waitFor(2);
  for (const got of [ping, delivery]) {
    assert.equal(got.headers.authorization, TOKEN);
    assert.equal(got.headers['x-tenant'], TENANT);
    assert.equal(got.headers['x-team'], 'growth');
  }
  assert.equal(delivery.headers['webhook-id'], eventId);

  assert.equal(pinged.attempt.requestHeaders.Authorization, MASK);
  assert.equal(pinged.attempt.requestHeaders['X-Tenant'], MASK);
  assert.equal(pinged.attempt.requestHeaders['X-Team'], 'growth');
  assert.match(pinged.attempt.requestHeaders['webhook-signature'], /^v1,/, "Hookline's own headers are recorded as sent");
  // The scheduled delivery (the delivery thread's sender) records them masked too.
  const log = await waitUntil(async () => {
    const r = await member(`query($id: ID!) { webhook(id: $id) { deliveryAttempts { edges { node { trigger requestHeaders } } } } }`, {
      id: webhookId,
    });
    const nodes = r.data.webhook.deliveryAttempts.edges.map((e: any) => e.node);
    return nodes.length >= 2 ? nodes : null;
  }, 'both attempts in the log');
  for (const a of log) assert.deepEqual([a.requestHeaders.Authorization, a.requestHeaders['X-Tenant']], [MASK, MASK], a.trigger);
  assertNoSecret(JSON.stringify(log), 'the attempt log');

  const { sql } = testDb();
  const row = (await sql.get<{ headersCiphertext: string }>(`SELECT * FROM "Webhook" WHERE "id" = ?`, [webhookId]))!;
  assertNoSecret(JSON.stringify(row), 'the webhook row');
  // Sealed with SECRET_ENCRYPTION_KEY (AES-256-GCM), opened here independently of the service's code.
  const [v, iv, tag, data] = row.headersCiphertext.split('.');
  assert.equal(v, 'v1');
  const d = createDecipheriv('aes-256-gcm', ENCRYPTION_KEY, Buffer.from(iv, 'base64'));
  d.setAuthTag(Buffer.from(tag, 'base64'));
  const opened = JSON.parse(Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8'));
  assert.deepEqual(opened, { Authorization: TOKEN, 'X-Tenant': TENANT, 'X-Team': 'growth' });
  assertNoSecret(JSON.stringify(await sql.all(`SELECT * FROM "DeliveryAttempt"`)), 'an attempt row');
  if (app.dbPath) {
    // SQLite: the raw bytes of the file and its write-ahead log.
    await sql.all('PRAGMA wal_checkpoint(PASSIVE)');
    const bytes = Buffer.concat([app.dbPath, `${app.dbPath}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
    assert.ok(bytes.includes(Buffer.from(webhookId)));
    assertNoSecret(bytes.toString('latin1'), 'the database file');
  }
});

test('a live graphql-ws subscriber (a MEMBER key) sees attempts and state changes masked', async () => {
  const c = createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: memberKey },
    retryAttempts: 0,
    lazy: false,
  });
  clients.push(c);
  const attempts: any[] = [];
  const states: any[] = [];
  const errors: unknown[] = [];
  c.subscribe(
    { query: `subscription($id: ID) { deliveryAttempts(webhookId: $id) { trigger requestHeaders } }`, variables: { id: webhookId } },
    { next: (r) => attempts.push(r), error: (e) => errors.push(e), complete: () => undefined },
  );
  c.subscribe(
    { query: `subscription($id: ID) { webhookStateChanged(webhookId: $id) { state ${HOOK} } }`, variables: { id: webhookId } },
    { next: (r) => states.push(r), error: (e) => errors.push(e), complete: () => undefined },
  );
  // The server registers a subscription a moment after the client sends it: ping until one arrives.
  await waitUntil(
    async () => {
      if (attempts.length) return true;
      await admin(PING, { id: webhookId });
      return false;
    },
    'the attempts stream to be live',
    20_000,
    200,
  );
  await publish(admin, 'order.paid', { n: 2 });
  await waitUntil(() => attempts.some((r) => r.data?.deliveryAttempts.trigger === 'SCHEDULED'), 'the scheduled attempt on the stream');
  for (const active of [false, true])
    payloadOk(
      await admin(`mutation($id: ID!, $a: Boolean!) { setWebhookActive(id: $id, active: $a) { userErrors { message } } }`, {
        id: webhookId,
        a: active,
      }),
      'setWebhookActive',
    );
  await waitUntil(() => states.length >= 2, 'both state changes on the stream');
  await settle(100);

  assert.deepEqual(errors, []);
  for (const r of attempts) {
    assert.equal(r.errors, undefined);
    assert.equal(r.data.deliveryAttempts.requestHeaders.Authorization, MASK);
    assert.equal(r.data.deliveryAttempts.requestHeaders['X-Tenant'], MASK);
  }
  for (const r of states) {
    assert.deepEqual(r.data.webhookStateChanged.headers, { Authorization: MASK, 'X-Tenant': MASK, 'X-Team': 'growth' });
    assert.deepEqual(r.data.webhookStateChanged.sensitiveHeaders, ['Authorization', 'X-Tenant']);
  }
  assertNoSecret(JSON.stringify([attempts, states]), 'a live message');
});

test('an update that sends a masked value back keeps it; null or leaving a header out removes it', async () => {
  // What a client read, edited and sent back: the masks keep the saved values.
  const kept = payloadOk(
    await admin(UPDATE, { id: webhookId, input: { headers: { authorization: MASK, 'X-Tenant': MASK, 'X-Team': 'ops' } } }),
    'updateWebhook',
  );
  assert.deepEqual(kept.webhook.headers, { authorization: MASK, 'X-Tenant': MASK, 'X-Team': 'ops' });
  assert.deepEqual(kept.webhook.sensitiveHeaders, ['X-Tenant', 'authorization'], 'the admin mark stays with its header');
  payloadOk(await admin(PING, { id: webhookId }), 'pingWebhook');
  let got = receiver.received.at(-1)!;
  assert.equal(got.headers.authorization, TOKEN, 'the receiver still gets the saved value, not the mask');
  assert.equal(got.headers['x-tenant'], TENANT);
  assert.equal(got.headers['x-team'], 'ops');

  // An update that does not name headers leaves them alone.
  payloadOk(await admin(UPDATE, { id: webhookId, input: { name: 'Credentialed (renamed)' } }), 'updateWebhook');
  payloadOk(await admin(PING, { id: webhookId }), 'pingWebhook');
  assert.equal(receiver.received.at(-1)!.headers.authorization, TOKEN);

  // A new value replaces the saved one; null removes one; leaving one out removes it.
  const replaced = payloadOk(
    await admin(UPDATE, { id: webhookId, input: { headers: { Authorization: 'Bearer rotated-0001', 'X-Tenant': null } } }),
    'updateWebhook',
  );
  assert.deepEqual(replaced.webhook.headers, { Authorization: MASK });
  assert.deepEqual(replaced.webhook.sensitiveHeaders, ['Authorization']);
  payloadOk(await admin(PING, { id: webhookId }), 'pingWebhook');
  got = receiver.received.at(-1)!;
  assert.equal(got.headers.authorization, 'Bearer rotated-0001');
  assert.equal(got.headers['x-tenant'], undefined);
  assert.equal(got.headers['x-team'], undefined);

  // The mask cannot stand in for a header that was never saved.
  const errors = refused(await admin(UPDATE, { id: webhookId, input: { headers: { 'X-Tenant': MASK } } }), 'updateWebhook');
  assert.deepEqual(
    errors.map((e) => [e.code, e.field]),
    [['INVALID', ['input', 'headers', 'X-Tenant']]],
  );
});

test('admins mark other names sensitive; marks must name a header; MEMBER keys cannot change them', async () => {
  const added = payloadOk(
    await admin(UPDATE, {
      id: webhookId,
      input: { headers: { Authorization: MASK, 'X-Region': 'eu-west-1' }, sensitiveHeaders: ['X-Region'] },
    }),
    'updateWebhook',
  );
  assert.deepEqual(added.webhook.headers, { Authorization: MASK, 'X-Region': MASK });
  // Marks are only ever added: leaving the name out of sensitiveHeaders does not reveal the value.
  const still = payloadOk(await admin(UPDATE, { id: webhookId, input: { sensitiveHeaders: [] } }), 'updateWebhook');
  assert.deepEqual(still.webhook.headers, { Authorization: MASK, 'X-Region': MASK });

  const unknown = refused(await admin(UPDATE, { id: webhookId, input: { sensitiveHeaders: ['X-Nope'] } }), 'updateWebhook');
  assert.deepEqual(
    unknown.map((e) => e.field),
    [['input', 'sensitiveHeaders', '0']],
  );
  const denied = await member(UPDATE, { id: webhookId, input: { sensitiveHeaders: ['Authorization'] } });
  assert.deepEqual(
    denied.data.updateWebhook.userErrors.map((e: any) => e.code),
    ['FORBIDDEN'],
  );
});
