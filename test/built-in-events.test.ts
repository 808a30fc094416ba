// Every change to webhooks, API keys and associates records the matching
// built-in event in the events table (the outbox the dispatcher delivers from),
// and refused changes record nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import {
  CREATE_ASSOCIATE,
  CREATE_WEBHOOK,
  DELETE_BY_URL,
  DELETE_WEBHOOK,
  REVOKE_API_KEY,
  ROTATE,
  SET_ACTIVE,
  UPDATE_WEBHOOK,
  createApiKey,
  createAssociate,
  createWebhook,
  okData,
  payloadOk,
  refused,
  webhookInput,
} from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;
let accountId: string;
let prisma: ReturnType<typeof import('./helpers/app.js').testDb>['prisma'];

interface Recorded {
  id: string;
  accountId: string;
  type: string;
  payload: any;
}

before(async () => {
  // No worker: recorded deliveries stay PENDING where the test can see them.
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
  ({ prisma } = (await import('./helpers/app.js')).testDb());
  accountId = (await prisma.account.findUniqueOrThrow({ where: { name: 'default' } })).id;
});
after(() => app.stop());

/** The events recorded while `action` runs, oldest first. */
async function recorded(action: () => Promise<unknown>): Promise<Recorded[]> {
  const before = new Set((await prisma.event.findMany({ select: { id: true } })).map((e) => e.id));
  await action();
  const rows = await prisma.event.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows
    .filter((r) => !before.has(r.id))
    .map((r) => ({ id: r.id, accountId: r.accountId, type: r.type, payload: r.payload === null ? null : JSON.parse(r.payload) }));
}

function only(events: Recorded[], type: string): Recorded {
  assert.deepEqual(
    events.map((e) => e.type),
    [type],
  );
  assert.equal(events[0].accountId, accountId);
  return events[0];
}

test('createWebhook records webhook.created, without the secret', async () => {
  let created: { webhook: any; secret: string } | undefined;
  const events = await recorded(async () => {
    created = await createWebhook(gql, { name: 'Evented', events: ['webhook.deleted', 'webhook.created'], isActive: false });
  });
  const e = only(events, 'webhook.created');
  assert.equal(e.payload.webhook.id, created!.webhook.id);
  assert.equal(e.payload.webhook.name, 'Evented');
  assert.equal(e.payload.webhook.state, 'STOPPED');
  assert.deepEqual(e.payload.webhook.events, ['webhook.created', 'webhook.deleted']);
  assert.ok(!JSON.stringify(e.payload).includes(created!.secret.slice(6)));
});

test('updateWebhook records webhook.updated with the new values', async () => {
  const { webhook } = await createWebhook(gql);
  const events = await recorded(async () => {
    payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Evented renamed', events: ['*'] } }), 'updateWebhook');
  });
  const e = only(events, 'webhook.updated');
  assert.equal(e.payload.webhook.id, webhook.id);
  assert.equal(e.payload.webhook.name, 'Evented renamed');
  assert.deepEqual(e.payload.webhook.events, ['*']);
});

test('rotateWebhookSecret records webhook.updated, without either secret', async () => {
  const { webhook, secret } = await createWebhook(gql);
  let rotated = '';
  const events = await recorded(async () => {
    rotated = payloadOk(await gql(ROTATE, { id: webhook.id }), 'rotateWebhookSecret').secret;
  });
  const e = only(events, 'webhook.updated');
  assert.equal(e.payload.webhook.id, webhook.id);
  assert.equal(e.payload.secretRotated, true);
  const text = JSON.stringify(e.payload);
  assert.ok(!text.includes(secret.slice(6)) && !text.includes(rotated.slice(6)));
});

test('setWebhookActive records webhook.state_changed each way, and nothing when the state does not change', async () => {
  const { webhook } = await createWebhook(gql);
  const off = only(
    await recorded(async () => payloadOk(await gql(SET_ACTIVE, { id: webhook.id, active: false }), 'setWebhookActive')),
    'webhook.state_changed',
  );
  assert.equal(off.payload.webhook.id, webhook.id);
  assert.equal(off.payload.previousState, 'ACTIVE');
  assert.equal(off.payload.webhook.state, 'STOPPED');
  assert.equal(off.payload.webhook.stateReason, 'Deactivated by Admin');
  const again = await recorded(async () => payloadOk(await gql(SET_ACTIVE, { id: webhook.id, active: false }), 'setWebhookActive'));
  assert.deepEqual(again, []);
  const on = only(
    await recorded(async () => payloadOk(await gql(SET_ACTIVE, { id: webhook.id, active: true }), 'setWebhookActive')),
    'webhook.state_changed',
  );
  assert.equal(on.payload.previousState, 'STOPPED');
  assert.equal(on.payload.webhook.state, 'ACTIVE');
});

test('deleteWebhook records webhook.deleted', async () => {
  const { webhook } = await createWebhook(gql, { name: 'To delete' });
  const e = only(await recorded(async () => payloadOk(await gql(DELETE_WEBHOOK, { id: webhook.id }), 'deleteWebhook')), 'webhook.deleted');
  assert.equal(e.payload.webhook.id, webhook.id);
  assert.equal(e.payload.webhook.name, 'To delete');
});

test('deleteWebhooksByUrl records one webhook.deleted per webhook', async () => {
  const url = 'https://hooks.example.com/events-by-url';
  const a = (await createWebhook(gql, { targetUrl: url })).webhook;
  const b = (await createWebhook(gql, { targetUrl: url })).webhook;
  const events = await recorded(async () => payloadOk(await gql(DELETE_BY_URL, { url }), 'deleteWebhooksByUrl'));
  assert.deepEqual(
    events.map((e) => e.type),
    ['webhook.deleted', 'webhook.deleted'],
  );
  assert.deepEqual(events.map((e) => e.payload.webhook.id).sort(), [a.id, b.id].sort());
});

test('createApiKey records api_key.created and revokeApiKey records api_key.revoked, never the key', async () => {
  let key = '';
  let id = '';
  const created = only(
    await recorded(async () => {
      ({
        key,
        apiKey: { id },
      } = await createApiKey(gql, { name: 'evented key', application: 'crm' }));
    }),
    'api_key.created',
  );
  assert.equal(created.payload.apiKey.id, id);
  assert.equal(created.payload.apiKey.name, 'evented key');
  assert.equal(created.payload.apiKey.application, 'crm');
  assert.ok(!JSON.stringify(created.payload).includes(key));
  const revoked = only(await recorded(async () => payloadOk(await gql(REVOKE_API_KEY, { id }), 'revokeApiKey')), 'api_key.revoked');
  assert.equal(revoked.payload.apiKey.id, id);
  assert.ok(!JSON.stringify(revoked.payload).includes(key));
  // Revoking a revoked key changes nothing and records nothing.
  assert.deepEqual(await recorded(async () => payloadOk(await gql(REVOKE_API_KEY, { id }), 'revokeApiKey')), []);
});

test('createAssociate records associate.created', async () => {
  let associate: any;
  const e = only(
    await recorded(async () => {
      associate = await createAssociate(gql, { name: 'Eve Evented', email: 'eve@example.com', role: 'MEMBER' });
    }),
    'associate.created',
  );
  assert.deepEqual(e.payload.associate, { id: associate.id, name: 'Eve Evented', email: 'eve@example.com', role: 'MEMBER' });
});

test('createConsoleLink records invite.created and revokeConsoleLink invite.deleted, never the token or URL', async () => {
  let url = '';
  let id = '';
  const created = only(
    await recorded(async () => {
      const p = payloadOk(
        await gql(`mutation { createConsoleLink(input: { role: MEMBER }) { url consoleLink { id } userErrors { message } } }`),
        'createConsoleLink',
      );
      ({ url } = p);
      ({ id } = p.consoleLink);
    }),
    'invite.created',
  );
  assert.equal(created.payload.invite.id, id);
  assert.equal(created.payload.invite.role, 'MEMBER');
  assert.equal(created.payload.invite.revokedAt, null);
  const token = decodeURIComponent(url.split('#link=')[1]);
  assert.ok(!JSON.stringify(created.payload).includes(token));
  const revoke = `mutation($id: ID!) { revokeConsoleLink(id: $id) { consoleLink { id } userErrors { message } } }`;
  const deleted = only(await recorded(async () => payloadOk(await gql(revoke, { id }), 'revokeConsoleLink')), 'invite.deleted');
  assert.equal(deleted.payload.invite.id, id);
  assert.ok(deleted.payload.invite.revokedAt);
  assert.ok(!JSON.stringify(deleted.payload).includes(token));
  // Revoking again changes nothing and records nothing.
  assert.deepEqual(await recorded(async () => payloadOk(await gql(revoke, { id }), 'revokeConsoleLink')), []);
});

test("the console's actor types are catalog groups a webhook lists with its events (Webhook.eventTypes)", async () => {
  const { webhook } = await createWebhook(gql, { events: ['role.changed', 'invite.deleted', 'invite.created', 'associate.updated'] });
  const read = okData(await gql(`query($id: ID!) { webhook(id: $id) { eventTypes { name group } } }`, { id: webhook.id })).webhook;
  assert.deepEqual(read.eventTypes, [
    { name: 'invite.created', group: 'Invites' },
    { name: 'invite.deleted', group: 'Invites' },
    { name: 'role.changed', group: 'Roles' },
    { name: 'associate.updated', group: 'Users' },
  ]);
});

test('refused changes record no event', async () => {
  const { webhook } = await createWebhook(gql);
  const member = await createAssociate(gql, { name: 'Quiet Member', email: 'quiet@example.com', role: 'MEMBER' });
  const asMember = client(app.url, (await createApiKey(gql, { name: 'quiet', associateId: member.id })).key);
  const events = await recorded(async () => {
    refused(await gql(CREATE_WEBHOOK, { input: webhookInput({ targetUrl: 'http://insecure.example.com' }) }), 'createWebhook');
    refused(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { events: [] } }), 'updateWebhook');
    refused(await gql(DELETE_WEBHOOK, { id: 'missing00000000000000000' }), 'deleteWebhook');
    refused(await asMember(SET_ACTIVE, { id: webhook.id, active: false }), 'setWebhookActive');
    refused(await asMember(ROTATE, { id: webhook.id }), 'rotateWebhookSecret');
    refused(await asMember(CREATE_ASSOCIATE, { input: { name: 'X', email: 'x@example.com', role: 'ADMIN' } }), 'createAssociate');
  });
  assert.deepEqual(events, []);
});

test('events are recorded in the acting account, and fan out to its subscribed, active webhooks only', async () => {
  const subscriber = (await createWebhook(gql, { name: 'Deletion listener', events: ['webhook.deleted'] })).webhook;
  const stopped = (await createWebhook(gql, { name: 'Stopped listener', events: ['webhook.deleted'], isActive: false })).webhook;
  const tenant = await createTenant('elsewhere');
  const other = client(app.url, tenant.apiKey);
  const foreign = (await createWebhook(other, { name: 'Foreign listener', events: ['*'] })).webhook;
  const { webhook } = await createWebhook(gql, { name: 'Doomed' });
  const e = only(await recorded(async () => payloadOk(await gql(DELETE_WEBHOOK, { id: webhook.id }), 'deleteWebhook')), 'webhook.deleted');
  const deliveries = await prisma.delivery.findMany({ where: { eventId: e.id } });
  // Earlier tests left a "*" subscriber behind; the expectation is computed from the API.
  const listening = okData(
    await gql('{ webhooks(first: 100, filter: { state: ACTIVE, event: "webhook.deleted" }) { edges { node { id } } } }'),
  ).webhooks.edges.map((x: any) => x.node.id);
  assert.ok(listening.includes(subscriber.id));
  assert.deepEqual(deliveries.map((d) => d.webhookId).sort(), [...listening].sort());
  assert.ok(deliveries.every((d) => d.status === 'PENDING' && d.accountId === accountId));
  assert.ok(!deliveries.some((d) => d.webhookId === stopped.id || d.webhookId === foreign.id));
  // The other account's own changes are recorded under its account.
  const theirs = await recorded(async () => payloadOk(await other(DELETE_WEBHOOK, { id: foreign.id }), 'deleteWebhook'));
  assert.deepEqual(
    theirs.map((x) => [x.type, x.accountId]),
    [['webhook.deleted', tenant.accountId]],
  );
});
