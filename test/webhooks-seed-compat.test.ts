// What the WhautoChat and SuperOffice source documents ask of webhook
// management that the rest of the API did not already cover: `isActive` in
// updates, createdAt/updatedAt, `success` on deletes, caller-supplied secrets,
// a settable type, complete defaults and HTTP Basic authentication. End to
// end over HTTP against a real server and database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, testDb, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import {
  DELETE_BY_URL,
  DELETE_WEBHOOK,
  GET_WEBHOOK,
  UPDATE_WEBHOOK,
  assertUserError,
  createWebhook,
  okData,
  payloadOk,
} from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(() => app.stop());

/** The types of the events recorded while `action` runs, oldest first. */
async function recordedTypes(action: () => Promise<unknown>): Promise<string[]> {
  const { prisma } = testDb();
  const before = new Set((await prisma.event.findMany({ select: { id: true } })).map((e) => e.id));
  await action();
  const all = await prisma.event.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return all.filter((e) => !before.has(e.id)).map((e) => e.type);
}

describe('WhautoChat: isActive in updateWebhook, createdAt/updatedAt, success on deletes', () => {
  test('updateWebhook with isActive turns a webhook off and on, with the same reason and event as setWebhookActive', async () => {
    const { webhook } = await createWebhook(gql);
    let off: any;
    const types = await recordedTypes(async () => {
      off = payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { isActive: false } }), 'updateWebhook').webhook;
    });
    assert.equal(off.state, 'STOPPED');
    assert.equal(off.isActive, false);
    assert.equal(off.stateReason, 'Deactivated by Admin');
    // A toggle alone is a state change, not an edit.
    assert.deepEqual(types, ['webhook.state_changed']);
    const on = payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { isActive: true } }), 'updateWebhook').webhook;
    assert.equal(on.state, 'ACTIVE');
    assert.equal(on.stateReason, 'Activated by Admin');
    // Already on: nothing changes and nothing is recorded.
    assert.deepEqual(
      await recordedTypes(async () => payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { isActive: true } }), 'updateWebhook')),
      [],
    );
  });

  test('a PUT-style update (fields and isActive together) applies both in one change', async () => {
    const { webhook } = await createWebhook(gql);
    let updated: any;
    const types = await recordedTypes(async () => {
      updated = payloadOk(
        await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Renamed and paused', events: ['*'], isActive: false } }),
        'updateWebhook',
      ).webhook;
    });
    assert.equal(updated.name, 'Renamed and paused');
    assert.deepEqual(updated.events, ['*']);
    assert.equal(updated.state, 'STOPPED');
    assert.deepEqual(types, ['webhook.updated', 'webhook.state_changed']);
    const read = okData(await gql(GET_WEBHOOK, { id: webhook.id })).webhook;
    assert.equal(read.name, 'Renamed and paused');
    assert.equal(read.state, 'STOPPED');
  });

  test('a refused update changes neither the fields nor the state', async () => {
    const { webhook } = await createWebhook(gql);
    assertUserError(
      await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { targetUrl: 'ftp://nope', isActive: false } }),
      'updateWebhook',
      'INVALID',
      ['input', 'targetUrl'],
    );
    assert.equal(okData(await gql(GET_WEBHOOK, { id: webhook.id })).webhook.state, 'ACTIVE');
  });

  test('isActive: true clears TOO_MANY_ERRORS and the failure count', async () => {
    const { webhook } = await createWebhook(gql);
    const { prisma } = testDb();
    await prisma.webhook.update({ where: { id: webhook.id }, data: { state: 'TOO_MANY_ERRORS', consecutiveFailures: 20 } });
    const on = payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { isActive: true } }), 'updateWebhook').webhook;
    assert.equal(on.state, 'ACTIVE');
    assert.equal((await prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } })).consecutiveFailures, 0);
  });

  test('createdAt and updatedAt are registered and updated under WhautoChat names', async () => {
    const { webhook } = await createWebhook(gql);
    const q = `query($id: ID!) { webhook(id: $id) { registered updated createdAt updatedAt } }`;
    const first = okData(await gql(q, { id: webhook.id })).webhook;
    assert.equal(first.createdAt, first.registered);
    assert.equal(first.updatedAt, first.updated);
    await new Promise((r) => setTimeout(r, 5));
    payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { name: `${webhook.name} v2` } }), 'updateWebhook');
    const second = okData(await gql(q, { id: webhook.id })).webhook;
    assert.equal(second.createdAt, first.createdAt);
    assert.ok(Date.parse(second.updatedAt) > Date.parse(first.updatedAt));
    assert.equal(second.updatedAt, second.updated);
  });

  test('deleteWebhook and deleteWebhooksByUrl say success: true, and false when refused', async () => {
    const { webhook } = await createWebhook(gql);
    const q = `mutation($id: ID!) { deleteWebhook(id: $id) { success deletedWebhookId userErrors { code } } }`;
    const done = okData(await gql(q, { id: webhook.id })).deleteWebhook;
    assert.deepEqual(done, { success: true, deletedWebhookId: webhook.id, userErrors: [] });
    const again = okData(await gql(q, { id: webhook.id })).deleteWebhook;
    assert.deepEqual(again, { success: false, deletedWebhookId: null, userErrors: [{ code: 'NOT_FOUND' }] });

    const url = 'https://hooks.example.com/success-by-url';
    await createWebhook(gql, { targetUrl: url });
    const byUrl = `mutation($url: String!) { deleteWebhooksByUrl(url: $url) { success deletedWebhookIds userErrors { code } } }`;
    const many = okData(await gql(byUrl, { url })).deleteWebhooksByUrl;
    assert.equal(many.success, true);
    assert.equal(many.deletedWebhookIds.length, 1);
    assert.equal(okData(await gql(byUrl, { url: '' })).deleteWebhooksByUrl.success, false);
    // Documents without success (the shared test helpers') still work: it is an addition.
    assert.equal(payloadOk(await gql(DELETE_BY_URL, { url }), 'deleteWebhooksByUrl').deletedWebhookIds.length, 0);
    assertUserError(await gql(DELETE_WEBHOOK, { id: webhook.id }), 'deleteWebhook', 'NOT_FOUND', ['id']);
  });
});
