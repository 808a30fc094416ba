// What the WhautoChat and SuperOffice source documents ask of webhook
// management that the rest of the API did not already cover: `isActive` in
// updates, createdAt/updatedAt, `success` on deletes, caller-supplied secrets,
// a settable type, complete defaults and HTTP Basic authentication. End to
// end over HTTP against a real server and database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signingSecrets, startTestApp, testDb, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
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
  webhookInput,
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
    assert.deepEqual(
      types.sort(),
      ['webhook.state_changed', 'webhook.updated'],
      'both, in one transaction (at one instant, so in no set order)',
    );
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

describe('SuperOffice: own secrets, type, complete defaults, Basic authentication', () => {
  const CREATE = `mutation($input: CreateWebhookInput!) {
    createWebhook(input: $input) { secret webhook { id type } userErrors { field message code } }
  }`;
  const ROTATE_TO = `mutation($id: ID!, $secret: String) {
    rotateWebhookSecret(id: $id, secret: $secret) { secret webhook { id } userErrors { field message code } }
  }`;
  const storedSecrets = async (id: string) => signingSecrets(await testDb().prisma.webhook.findUniqueOrThrow({ where: { id } }));

  test("createWebhook takes the caller's secret, shows it only in that response and signs with it", async () => {
    const own = 'superoffice-shared-secret-0001';
    const created = payloadOk(await gql(CREATE, { input: webhookInput({ secret: own }) }), 'createWebhook');
    assert.equal(created.secret, own);
    assert.deepEqual(await storedSecrets(created.webhook.id), [own]);
    const { prisma } = testDb();
    const row = await prisma.webhook.findUniqueOrThrow({ where: { id: created.webhook.id } });
    assert.ok(!row.secretCiphertext.includes(own), 'stored encrypted');
    // No query shows it again.
    const read = await gql(`query($id: ID!) { webhook(id: $id) { secret } }`, { id: created.webhook.id });
    assert.match(read.errors?.[0].message ?? '', /Cannot query field "secret"/);
    const whsec = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const standard = payloadOk(await gql(CREATE, { input: webhookInput({ secret: whsec }) }), 'createWebhook');
    assert.equal(standard.secret, whsec);
  });

  test('a secret that is too short or a malformed whsec_ is refused on input.secret, and nothing is created', async () => {
    const { prisma } = testDb();
    const count = await prisma.webhook.count();
    assertUserError(
      await gql(CREATE, { input: webhookInput({ secret: 'short' }) }),
      'createWebhook',
      'INVALID',
      ['input', 'secret'],
      /at least 24/,
    );
    assertUserError(
      await gql(CREATE, { input: webhookInput({ secret: 'whsec_tooshort' }) }),
      'createWebhook',
      'INVALID',
      ['input', 'secret'],
      /whsec_/,
    );
    assert.equal(await prisma.webhook.count(), count);
  });

  test("rotateWebhookSecret takes the caller's new secret; the old one keeps signing for the grace period", async () => {
    const { webhook, secret: old } = await createWebhook(gql);
    const own = 'rotated-by-the-caller-000000000001';
    const rotated = payloadOk(await gql(ROTATE_TO, { id: webhook.id, secret: own }), 'rotateWebhookSecret');
    assert.equal(rotated.secret, own);
    assert.deepEqual(await storedSecrets(webhook.id), [own, old]);
    assertUserError(await gql(ROTATE_TO, { id: webhook.id, secret: own }), 'rotateWebhookSecret', 'INVALID', ['secret'], /differ/);
    assertUserError(await gql(ROTATE_TO, { id: webhook.id, secret: 'x'.repeat(10) }), 'rotateWebhookSecret', 'INVALID', ['secret']);
    assert.deepEqual(await storedSecrets(webhook.id), [own, old], 'refused rotations change nothing');
    // Without a secret one is generated, as before.
    const generated = payloadOk(await gql(ROTATE_TO, { id: webhook.id }), 'rotateWebhookSecret').secret;
    assert.match(generated, /^whsec_/);
  });

  test('type is "webhook" by default, can be set on create and update, and is checked', async () => {
    const plain = payloadOk(await gql(CREATE, { input: webhookInput() }), 'createWebhook').webhook;
    assert.equal(plain.type, 'webhook');
    const script = payloadOk(await gql(CREATE, { input: webhookInput({ type: 'crmscript' }) }), 'createWebhook').webhook;
    assert.equal(script.type, 'crmscript');
    const updated = payloadOk(await gql(UPDATE_WEBHOOK, { id: script.id, input: { type: 'webhook' } }), 'updateWebhook').webhook;
    assert.equal(updated.type, 'webhook');
    assertUserError(await gql(UPDATE_WEBHOOK, { id: script.id, input: { type: 'not a type' } }), 'updateWebhook', 'INVALID', [
      'input',
      'type',
    ]);
    assertUserError(await gql(CREATE, { input: webhookInput({ type: '' }) }), 'createWebhook', 'INVALID', ['input', 'type']);
    assert.equal(okData(await gql(GET_WEBHOOK, { id: script.id })).webhook.type, 'webhook');
  });

  test('webhookDefaults returns every field a new webhook gets, and a webhook created from them gets exactly those', async () => {
    const defaults = okData(
      await gql(
        `{ webhookDefaults { name targetUrl secret events state isActive type headers sensitiveHeaders properties isApplicationManaged } }`,
      ),
    ).webhookDefaults;
    assert.deepEqual(defaults, {
      name: '',
      targetUrl: '',
      secret: null,
      events: [],
      state: 'ACTIVE',
      isActive: true,
      type: 'webhook',
      headers: {},
      sensitiveHeaders: [],
      properties: {},
      isApplicationManaged: false,
    });
    // A webhook made with only the required fields has the defaults for the rest.
    const made = (await createWebhook(gql)).webhook;
    for (const field of ['state', 'isActive', 'type', 'headers', 'properties', 'isApplicationManaged'] as const) {
      assert.deepEqual(made[field], defaults[field], field);
    }
  });

  test('Authorization: Basic base64(anything:<key>) authenticates over HTTP; a wrong password is 401', async () => {
    const anon = client(app.url, null);
    const basic = (s: string) => ({ authorization: `Basic ${Buffer.from(s).toString('base64')}` });
    const viewer = okData(await gql('{ viewer { id } }')).viewer;
    assert.equal(okData(await anon('{ viewer { id } }', undefined, basic(`tje0:${BOOTSTRAP_KEY}`))).viewer.id, viewer.id);
    assert.equal(okData(await anon('{ viewer { id } }', undefined, basic(`:${BOOTSTRAP_KEY}`))).viewer.id, viewer.id);
    const wrong = await anon('{ viewer { id } }', undefined, basic(`tje0:not-the-key`));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    const none = await anon('{ viewer { id } }', undefined, basic(BOOTSTRAP_KEY));
    assert.equal(none.status, 401, 'no colon: no password, so no key');
    assert.match(none.errors?.[0].message ?? '', /Basic/);
  });

  test('Basic also works for SSE subscriptions and graphql-ws connectionParams (the shared auth path)', async () => {
    const auth = `Basic ${Buffer.from(`user:${BOOTSTRAP_KEY}`).toString('base64')}`;
    const viewer = okData(await gql('{ viewer { id } }')).viewer;
    const { createClient } = await import('graphql-ws');
    const { default: WebSocket } = await import('ws');
    const ws = createClient({
      url: app.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: auth },
      retryAttempts: 0,
    });
    try {
      const result = await new Promise<any>((resolve, reject) => {
        ws.subscribe({ query: '{ viewer { id } }' }, { next: resolve, error: reject, complete: () => undefined });
      });
      assert.equal(result.data.viewer.id, viewer.id);
    } finally {
      await ws.dispose();
    }
    const sse = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: auth },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    assert.equal(sse.status, 200);
    assert.match(await sse.text(), new RegExp(`"id":"${viewer.id}"`));
  });
});
