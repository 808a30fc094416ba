// Who may change what: role rules (members read, admins change) and the
// application-managed webhook rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import {
  CREATE_WEBHOOK,
  DELETE_BY_URL,
  DELETE_WEBHOOK,
  GET_WEBHOOK,
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
let admin: Gql;
let adminId: string;

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  admin = client(app.url, BOOTSTRAP_KEY);
  adminId = okData(await admin('{ viewer { id } }')).viewer.id;
});
after(() => app.stop());

const MUTATIONS = [
  'createWebhook',
  'updateWebhook',
  'setWebhookActive',
  'deleteWebhook',
  'deleteWebhooksByUrl',
  'rotateWebhookSecret',
  'createApiKey',
  'revokeApiKey',
  'createAssociate',
  'createEventType',
  'updateEventType',
  'deleteEventType',
  'publishEvent',
  'pingWebhook',
  'sendExampleEvent',
  'redeliver',
  'recoverWebhook',
  'createConsoleLink',
  'revokeConsoleLink',
  'retryDeliveries',
  'replayEvents',
  'cancelBulkOperation',
  'updateAssociate',
  'deleteAssociate',
  'updateAccount',
  'createAccount',
];

const SEND_EXAMPLE =
  'mutation($id: ID!) { sendExampleEvent(webhookId: $id, type: "admin.made") { event { id } userErrors { field message code } } }';
const REPLAY =
  'mutation($id: ID!) { replayEvents(filter: { types: ["webhook.created"] }, webhookId: $id) { bulkOperation { id } userErrors { field message code } } }';

describe('role rules', () => {
  let member: Gql;
  let memberId: string;
  let webhook: any;
  let apiKeyId: string;
  let linkId: string;
  let eventTypeId: string;

  before(async () => {
    const m = await createAssociate(admin, { name: 'Max Member', email: 'max@example.com', role: 'MEMBER' });
    memberId = m.id;
    // A member's key, even one naming an application, cannot change anything.
    member = client(app.url, (await createApiKey(admin, { name: 'member key', associateId: m.id, application: 'billing' })).key);
    webhook = (await createWebhook(admin, { name: 'Admin made', targetUrl: 'https://hooks.example.com/role' })).webhook;
    apiKeyId = (await createApiKey(admin, { name: 'victim key' })).apiKey.id;
    linkId = okData(await admin(`mutation { createConsoleLink(input: { role: MEMBER }) { consoleLink { id } } }`)).createConsoleLink
      .consoleLink.id;
    eventTypeId = payloadOk(
      await admin(
        `mutation { createEventType(input: { name: "admin.made", group: "Rules", example: { x: 1 } }) { eventType { id } userErrors { field message code } } }`,
      ),
      'createEventType',
    ).eventType.id;
  });

  /** Every mutation in the schema, as a member would call it. */
  const attempts = (): Record<string, [string, Record<string, unknown>]> => ({
    createWebhook: [CREATE_WEBHOOK, { input: webhookInput() }],
    updateWebhook: [UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Hijacked' } }],
    setWebhookActive: [SET_ACTIVE, { id: webhook.id, active: false }],
    deleteWebhook: [DELETE_WEBHOOK, { id: webhook.id }],
    deleteWebhooksByUrl: [DELETE_BY_URL, { url: webhook.targetUrl }],
    rotateWebhookSecret: [ROTATE, { id: webhook.id }],
    createApiKey: [
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { field message code } } }',
      { input: { name: 'escalate', associateId: adminId } },
    ],
    revokeApiKey: ['mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } userErrors { field message code } } }', { id: apiKeyId }],
    createAssociate: [
      'mutation($input: CreateAssociateInput!) { createAssociate(input: $input) { associate { id } userErrors { field message code } } }',
      { input: { name: 'New Admin', email: 'newadmin@example.com', role: 'ADMIN' } },
    ],
    createEventType: [
      'mutation($input: CreateEventTypeInput!) { createEventType(input: $input) { eventType { id } userErrors { field message code } } }',
      { input: { name: 'member.made', group: 'Nope' } },
    ],
    updateEventType: [
      'mutation($id: ID!) { updateEventType(id: $id, input: { description: "Hijacked" }) { eventType { id } userErrors { field message code } } }',
      { id: eventTypeId },
    ],
    deleteEventType: [
      'mutation($id: ID!) { deleteEventType(id: $id) { deletedEventTypeId userErrors { field message code } } }',
      { id: eventTypeId },
    ],
    publishEvent: [
      'mutation($input: PublishEventInput!) { publishEvent(input: $input) { userErrors { field message code } } }',
      { input: { type: 'webhook.created', payload: { x: 1 } } },
    ],
    pingWebhook: ['mutation($id: ID!) { pingWebhook(id: $id) { userErrors { field message code } } }', { id: webhook.id }],
    sendExampleEvent: [SEND_EXAMPLE, { id: webhook.id }],
    redeliver: [
      'mutation($id: ID!) { redeliver(deliveryId: $id) { userErrors { field message code } } }',
      { id: 'someDelivery000000000000' },
    ],
    recoverWebhook: [
      'mutation($id: ID!) { recoverWebhook(id: $id, since: "2020-01-01T00:00:00Z") { userErrors { field message code } } }',
      { id: webhook.id },
    ],
    createConsoleLink: ['mutation { createConsoleLink(input: { role: ADMIN }) { url userErrors { field message code } } }', {}],
    revokeConsoleLink: ['mutation($id: ID!) { revokeConsoleLink(id: $id) { userErrors { field message code } } }', { id: linkId }],
    retryDeliveries: [
      'mutation { retryDeliveries(filter: { statuses: [FAILED] }) { bulkOperation { id } userErrors { field message code } } }',
      {},
    ],
    replayEvents: [REPLAY, { id: webhook.id }],
    cancelBulkOperation: [
      'mutation($id: ID!) { cancelBulkOperation(id: $id) { bulkOperation { id } userErrors { field message code } } }',
      { id: 'someOperation00000000000' },
    ],
    // A member promoting itself, removing the admin, renaming the account, making an account.
    updateAssociate: [
      'mutation($id: ID!) { updateAssociate(id: $id, input: { role: ADMIN }) { associate { id } userErrors { field message code } } }',
      { id: memberId },
    ],
    deleteAssociate: [
      'mutation($id: ID!, $to: ID) { deleteAssociate(id: $id, reassignTo: $to) { success userErrors { field message code } } }',
      { id: adminId, to: memberId },
    ],
    updateAccount: ['mutation { updateAccount(input: { name: "taken over" }) { account { id } userErrors { field message code } } }', {}],
    // Needs a platform key (its message names `npm run admin -- create-platform-key`).
    createAccount: ['mutation { createAccount(input: { name: "side business" }) { key userErrors { field message code } } }', {}],
  });

  test('the test below covers every mutation in the schema', async () => {
    const fields = okData(await admin('{ __type(name: "Mutation") { fields { name } } }')).__type.fields.map((f: any) => f.name);
    assert.deepEqual([...MUTATIONS].sort(), [...fields].sort());
    assert.deepEqual(Object.keys(attempts()).sort(), [...fields].sort());
  });

  for (const name of MUTATIONS) {
    test(`a MEMBER gets a FORBIDDEN user error from ${name}`, async () => {
      const [doc, vars] = attempts()[name];
      const res = await member(doc, vars);
      const errors = res.data?.[name]?.userErrors;
      assert.equal(res.status, 200, JSON.stringify(res.errors));
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.equal(errors?.length, 1, JSON.stringify(errors));
      assert.equal(errors[0].code, 'FORBIDDEN');
      assert.match(errors[0].message, /admin/i);
    });
  }

  test("nothing a member tried changed the account's data", async () => {
    const w = okData(await admin(GET_WEBHOOK, { id: webhook.id })).webhook;
    assert.equal(w.name, 'Admin made');
    assert.equal(w.state, 'ACTIVE');
    assert.deepEqual(w.updatedAssociate.id, adminId);
    const data = okData(
      await admin('{ webhooks(first: 100) { totalCount } apiKeys { id revoked } associates { email } eventTypes { name } }'),
    );
    assert.equal(data.webhooks.totalCount, 1);
    assert.equal(data.apiKeys.find((k: any) => k.id === apiKeyId).revoked, false);
    assert.ok(!data.associates.some((a: any) => a.email === 'newadmin@example.com'));
    assert.ok(!data.eventTypes.some((t: any) => t.name === 'member.made'));
    assert.ok(
      data.eventTypes.some((t: any) => t.name === 'admin.made'),
      'the event type was not deleted',
    );
    const people = okData(await admin('{ associates { id role } account { name } }'));
    assert.deepEqual(
      people.associates
        .filter((a: any) => [adminId, memberId].includes(a.id))
        .map((a: any) => [a.id, a.role])
        .sort(),
      [
        [adminId, 'ADMIN'],
        [memberId, 'MEMBER'],
      ].sort(),
    );
    assert.equal(people.account.name, 'default');
    assert.equal(await (await import('./helpers/app.js')).testDb().prisma.account.count(), 1);
    const { prisma } = (await import('./helpers/app.js')).testDb();
    assert.equal(await prisma.event.count({ where: { type: 'webhook.created', payload: { contains: '"x":1' } } }), 0);
  });

  test('a MEMBER can read everything in the account', async () => {
    const data = okData(
      await member(
        `query($id: ID!) {
        viewer { id role }
        webhook(id: $id) { id name owner { id } }
        webhooks(first: 10) { totalCount edges { node { id } } }
        webhooksPage(limit: 10) { totalCount items { id } }
        webhookDefaults { state }
        eventTypes { name }
        associates { id }
        apiKeys { id }
      }`,
        { id: webhook.id },
      ),
    );
    assert.deepEqual(data.viewer, { id: memberId, role: 'MEMBER' });
    assert.equal(data.webhook.id, webhook.id);
    assert.deepEqual(
      data.webhooks.edges.map((e: any) => e.node.id),
      [webhook.id],
    );
    assert.deepEqual(
      data.webhooksPage.items.map((i: any) => i.id),
      [webhook.id],
    );
    assert.equal(data.webhookDefaults.state, 'ACTIVE');
    assert.ok(data.eventTypes.length >= 9);
    assert.ok(data.associates.some((a: any) => a.id === adminId));
    assert.ok(data.apiKeys.some((k: any) => k.id === apiKeyId));
  });
});

const PING = 'mutation($id: ID!) { pingWebhook(id: $id) { attempt { id trigger } userErrors { field message code } } }';
const REDELIVER = 'mutation($id: ID!) { redeliver(deliveryId: $id) { attempt { id trigger } userErrors { field message code } } }';
const RECOVER =
  'mutation($id: ID!) { recoverWebhook(id: $id, since: "2020-01-01T00:00:00Z") { requeuedCount userErrors { field message code } } }';
const DELIVERY_LOG = `query($id: ID!) {
  webhook(id: $id) { deliveries(first: 10) { nodes { id status attemptCount } } deliveryAttempts(first: 10) { totalCount } }
}`;

/** Mutations that do not act on one existing webhook; every other mutation is checked against managed webhooks below. */
const NOT_ON_A_WEBHOOK = [
  'createWebhook',
  'createApiKey',
  'revokeApiKey',
  'createAssociate',
  'createEventType',
  'updateEventType',
  'deleteEventType',
  'publishEvent',
  'createConsoleLink',
  'revokeConsoleLink',
  'retryDeliveries',
  'cancelBulkOperation',
  // deleteAssociate hands a leaver's webhooks, managed ones too, to a new
  // owner: who owns a webhook, not how it delivers (see the README).
  'updateAssociate',
  'deleteAssociate',
  'updateAccount',
  'createAccount',
];

describe('application-managed webhooks', () => {
  let billing: Gql; // admin key naming application "billing"
  let billing2: Gql; // another key of the same application
  let crm: Gql; // admin key naming application "crm"

  before(async () => {
    billing = client(app.url, (await createApiKey(admin, { name: 'billing app', application: 'billing' })).key);
    billing2 = client(app.url, (await createApiKey(admin, { name: 'billing app 2', application: 'billing' })).key);
    crm = client(app.url, (await createApiKey(admin, { name: 'crm app', application: 'crm' })).key);
  });

  test('a key naming an application creates a webhook managed by that application', async () => {
    const { webhook } = await createWebhook(billing, { isApplicationManaged: true });
    assert.equal(webhook.isApplicationManaged, true);
    assert.equal(webhook.managingApplication, 'billing');
    const fetched = okData(await admin(GET_WEBHOOK, { id: webhook.id })).webhook;
    assert.equal(fetched.managingApplication, 'billing');
  });

  test('an application key may still create an ordinary webhook', async () => {
    const { webhook } = await createWebhook(billing, {});
    assert.equal(webhook.isApplicationManaged, false);
    assert.equal(webhook.managingApplication, null);
    payloadOk(await admin(UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Anyone may edit this' } }), 'updateWebhook');
  });

  test('a key without an application cannot mark a webhook application-managed', async () => {
    const input = webhookInput({ name: 'Sneaky', isApplicationManaged: true });
    const res = await admin(CREATE_WEBHOOK, { input });
    assertUserError(res, 'createWebhook', 'FORBIDDEN', ['input', 'isApplicationManaged'], /application/);
    assert.equal(res.data.createWebhook.webhook, null);
    assert.equal(res.data.createWebhook.secret, null);
    const found = okData(await admin('{ webhooks(first: 100, filter: { search: "Sneaky" }) { totalCount } }'));
    assert.equal(found.webhooks.totalCount, 0);
  });

  for (const [who, key, slug] of [
    ['a key without an application', () => admin, 'no-app'],
    ['a key of another application', () => crm, 'other-app'],
  ] as const) {
    test(`${who} gets FORBIDDEN, naming the managing application, for every change`, async () => {
      const url = `https://hooks.example.com/managed/${slug}`;
      const { webhook } = await createWebhook(billing, { isApplicationManaged: true, targetUrl: url });
      // Its own webhook.created event gave it a delivery (the worker is off: it stays pending).
      const [delivery] = okData(await billing(DELIVERY_LOG, { id: webhook.id })).webhook.deliveries.nodes;
      assert.ok(delivery, 'the managed webhook has a delivery');
      const gql = key();
      const cases: [string, string, Record<string, unknown>, string[]][] = [
        ['updateWebhook', UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Taken over' } }, ['id']],
        ['setWebhookActive', SET_ACTIVE, { id: webhook.id, active: false }, ['id']],
        ['deleteWebhook', DELETE_WEBHOOK, { id: webhook.id }, ['id']],
        ['rotateWebhookSecret', ROTATE, { id: webhook.id }, ['id']],
        ['deleteWebhooksByUrl', DELETE_BY_URL, { url }, ['url']],
        ['pingWebhook', PING, { id: webhook.id }, ['id']],
        ['sendExampleEvent', SEND_EXAMPLE, { id: webhook.id }, ['webhookId']],
        ['redeliver', REDELIVER, { id: delivery.id }, ['deliveryId']],
        ['recoverWebhook', RECOVER, { id: webhook.id }, ['id']],
        ['replayEvents', REPLAY, { id: webhook.id }, ['webhookId']],
      ];
      assert.deepEqual(
        cases.map(([name]) => name).sort(),
        MUTATIONS.filter((m) => !NOT_ON_A_WEBHOOK.includes(m)).sort(),
        'every mutation on a webhook is covered',
      );
      for (const [name, doc, vars, field] of cases) {
        const err = assertUserError(await gql(doc, vars), name, 'FORBIDDEN', field);
        assert.match(err.message, /managed by the application "billing"/, name);
      }
      const after = okData(await admin(GET_WEBHOOK, { id: webhook.id })).webhook;
      assert.equal(after.name, webhook.name);
      assert.equal(after.state, 'ACTIVE');
      assert.equal(after.updated, webhook.updated);
      // No ping or redelivery was sent.
      const log = okData(await admin(DELIVERY_LOG, { id: webhook.id })).webhook;
      assert.ok(log.deliveries.nodes.some((d: any) => d.id === delivery.id));
      for (const d of log.deliveries.nodes) assert.deepEqual([d.status, d.attemptCount], ['PENDING', 0]);
      assert.equal(log.deliveryAttempts.totalCount, 0);
    });
  }

  test('deleteWebhooksByUrl deletes nothing when a managed webhook shares the URL', async () => {
    const url = 'https://hooks.example.com/shared-url';
    const managed = (await createWebhook(billing, { isApplicationManaged: true, targetUrl: url })).webhook;
    const plain = (await createWebhook(admin, { targetUrl: url })).webhook;
    assertUserError(await admin(DELETE_BY_URL, { url }), 'deleteWebhooksByUrl', 'FORBIDDEN', ['url'], /billing/);
    assert.ok(okData(await admin(GET_WEBHOOK, { id: managed.id })).webhook);
    assert.ok(okData(await admin(GET_WEBHOOK, { id: plain.id })).webhook);
    // The managing application may delete both.
    const payload = payloadOk(await billing(DELETE_BY_URL, { url }), 'deleteWebhooksByUrl');
    assert.deepEqual([...payload.deletedWebhookIds].sort(), [managed.id, plain.id].sort());
  });

  test('any key of the managing application may update, toggle, rotate, ping, redeliver, recover and delete', async () => {
    const { webhook, secret } = await createWebhook(billing, { isApplicationManaged: true });
    const [delivery] = okData(await billing(DELIVERY_LOG, { id: webhook.id })).webhook.deliveries.nodes;
    assert.equal(payloadOk(await billing2(PING, { id: webhook.id }), 'pingWebhook').attempt.trigger, 'PING');
    assert.equal(payloadOk(await billing2(REDELIVER, { id: delivery.id }), 'redeliver').attempt.trigger, 'MANUAL');
    assert.equal(payloadOk(await billing2(RECOVER, { id: webhook.id }), 'recoverWebhook').requeuedCount, 0);
    const updated = payloadOk(
      await billing2(UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Billing renamed' } }),
      'updateWebhook',
    ).webhook;
    assert.equal(updated.name, 'Billing renamed');
    assert.equal(updated.managingApplication, 'billing', 'updates keep the webhook managed');
    const off = payloadOk(await billing2(SET_ACTIVE, { id: webhook.id, active: false }), 'setWebhookActive').webhook;
    assert.equal(off.state, 'STOPPED');
    const rotated = payloadOk(await billing(ROTATE, { id: webhook.id }), 'rotateWebhookSecret');
    assert.notEqual(rotated.secret, secret);
    assert.equal(payloadOk(await billing2(DELETE_WEBHOOK, { id: webhook.id }), 'deleteWebhook').deletedWebhookId, webhook.id);
    assert.equal(okData(await admin(GET_WEBHOOK, { id: webhook.id })).webhook, null);
  });

  test('everyone in the account can still read a managed webhook', async () => {
    const { webhook } = await createWebhook(billing, { isApplicationManaged: true });
    assert.equal(okData(await crm(GET_WEBHOOK, { id: webhook.id })).webhook.id, webhook.id);
    assert.equal(okData(await admin(GET_WEBHOOK, { id: webhook.id })).webhook.managingApplication, 'billing');
  });
});
