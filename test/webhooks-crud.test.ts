// Every webhook-management query and mutation, end to end over HTTP against a
// real server and SQLite file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestApp, testDb, BOOTSTRAP_KEY, ON_POSTGRES, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import {
  CREATE_ASSOCIATE,
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
let gql: Gql;
let viewer: { id: string; name: string };

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
  viewer = okData(await gql('{ viewer { id name } }')).viewer;
});
after(() => app.stop());

describe('authentication', () => {
  test('viewer is the bootstrap admin of account default', async () => {
    const data = okData(await gql('{ viewer { id name email role } }'));
    assert.equal(data.viewer.name, 'Admin');
    assert.equal(data.viewer.role, 'ADMIN');
    assert.match(data.viewer.id, /^[A-Za-z0-9]{20,}$/);
  });

  test('a missing key gets HTTP 401 UNAUTHENTICATED', async () => {
    const res = await client(app.url, null)('{ viewer { id } }');
    assert.equal(res.status, 401);
    assert.equal(res.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    assert.ok(!res.data?.viewer);
  });

  test('an unknown key gets HTTP 401 UNAUTHENTICATED', async () => {
    const res = await client(app.url, 'hk_not-a-real-key')('{ viewer { id } }');
    assert.equal(res.status, 401);
    assert.equal(res.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });

  test('Authorization: Bearer works as well as x-api-key', async () => {
    const bearer = client(app.url, null);
    const res = await bearer('{ viewer { id } }', undefined, { authorization: `Bearer ${BOOTSTRAP_KEY}` });
    assert.equal(okData(res).viewer.id, viewer.id);
    const wrong = await bearer('{ viewer { id } }', undefined, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });
});

describe('createWebhook and webhook(id)', () => {
  test('creates a webhook with every field and the documented defaults', async () => {
    const input = webhookInput({
      name: 'CRM sync',
      targetUrl: 'https://hooks.example.com/crm',
      events: ['webhook.updated', 'webhook.created'],
    });
    const payload = payloadOk(await gql(CREATE_WEBHOOK, { input }), 'createWebhook');
    const w = payload.webhook;
    assert.match(w.id, /^[A-Za-z0-9]{20,}$/, 'ids are unguessable and alphanumeric');
    assert.equal(w.name, 'CRM sync');
    assert.equal(w.targetUrl, 'https://hooks.example.com/crm');
    assert.deepEqual(w.events, ['webhook.created', 'webhook.updated']);
    assert.equal(w.state, 'ACTIVE');
    assert.equal(w.isActive, true);
    assert.equal(w.type, 'webhook');
    assert.deepEqual(w.headers, {});
    assert.deepEqual(w.properties, {});
    assert.equal(w.isApplicationManaged, false);
    assert.equal(w.managingApplication, null);
    assert.deepEqual(w.owner, viewer);
    assert.deepEqual(w.registeredAssociate, viewer);
    assert.deepEqual(w.updatedAssociate, viewer);
    assert.match(w.registered, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(payload.secret, /^whsec_[A-Za-z0-9+/]+=*$/);

    const fetched = okData(await gql(GET_WEBHOOK, { id: w.id })).webhook;
    assert.deepEqual(fetched, w);
  });

  test('headers, properties, isActive=false and ownerId are stored', async () => {
    const member = await createAssociate(gql, { name: 'Olivia Owner', email: 'olivia@example.com', role: 'MEMBER' });
    const { webhook } = await createWebhook(gql, {
      headers: { 'X-Team': 'growth' },
      properties: { tenant: 'acme', nested: { n: 1 } },
      isActive: false,
      ownerId: member.id,
    });
    assert.deepEqual(webhook.headers, { 'X-Team': 'growth' });
    assert.deepEqual(webhook.properties, { tenant: 'acme', nested: { n: 1 } });
    assert.equal(webhook.state, 'STOPPED');
    assert.equal(webhook.isActive, false);
    assert.match(webhook.stateReason, /Admin/);
    assert.deepEqual(webhook.owner, { id: member.id, name: 'Olivia Owner' });
    assert.deepEqual(webhook.registeredAssociate, viewer, 'the registering associate is the caller, not the owner');
  });

  test('"*" subscribes to every event', async () => {
    const { webhook } = await createWebhook(gql, { events: ['*'] });
    assert.deepEqual(webhook.events, ['*']);
  });

  test('webhook(id) is null for an unknown id', async () => {
    assert.equal(okData(await gql(GET_WEBHOOK, { id: 'doesNotExist0000000000000' })).webhook, null);
  });
});

describe('updateWebhook', () => {
  test('changes name, targetUrl, events, headers, properties and owner, and records who updated', async () => {
    const { webhook } = await createWebhook(gql, { headers: { 'X-A': '1' }, properties: { a: 1 } });
    const editor = await createAssociate(gql, { name: 'Eddie Editor', email: 'eddie@example.com', role: 'ADMIN' });
    const { key } = await createApiKey(gql, { name: 'eddie', associateId: editor.id });
    const asEditor = client(app.url, key);
    const res = await asEditor(UPDATE_WEBHOOK, {
      id: webhook.id,
      input: {
        name: 'Renamed',
        targetUrl: 'https://hooks.example.com/renamed',
        events: ['webhook.deleted'],
        headers: { 'X-B': '2' },
        properties: { b: 2 },
        ownerId: editor.id,
      },
    });
    const w = payloadOk(res, 'updateWebhook').webhook;
    assert.equal(w.name, 'Renamed');
    assert.equal(w.targetUrl, 'https://hooks.example.com/renamed');
    assert.deepEqual(w.events, ['webhook.deleted']);
    assert.deepEqual(w.headers, { 'X-B': '2' });
    assert.deepEqual(w.properties, { b: 2 });
    assert.deepEqual(w.owner, { id: editor.id, name: 'Eddie Editor' });
    assert.deepEqual(w.updatedAssociate, { id: editor.id, name: 'Eddie Editor' });
    assert.deepEqual(w.registeredAssociate, viewer);
    assert.equal(w.registered, webhook.registered);
    assert.ok(Date.parse(w.updated) >= Date.parse(webhook.updated));
    assert.deepEqual(okData(await gql(GET_WEBHOOK, { id: webhook.id })).webhook, w);
  });

  test('fields left out of the input are kept', async () => {
    const { webhook } = await createWebhook(gql, { headers: { 'X-Keep': 'yes' }, properties: { keep: true } });
    const w = payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Only the name' } }), 'updateWebhook').webhook;
    assert.equal(w.name, 'Only the name');
    assert.equal(w.targetUrl, webhook.targetUrl);
    assert.deepEqual(w.events, webhook.events);
    assert.deepEqual(w.headers, { 'X-Keep': 'yes' });
    assert.deepEqual(w.properties, { keep: true });
  });

  test('a webhook may be renamed to a different case of its own name', async () => {
    const { webhook } = await createWebhook(gql, { name: 'case change' });
    const w = payloadOk(await gql(UPDATE_WEBHOOK, { id: webhook.id, input: { name: 'Case Change' } }), 'updateWebhook').webhook;
    assert.equal(w.name, 'Case Change');
  });
});

describe('setWebhookActive', () => {
  test('deactivating and activating set state, reason and time', async () => {
    const { webhook } = await createWebhook(gql);
    const off = payloadOk(await gql(SET_ACTIVE, { id: webhook.id, active: false }), 'setWebhookActive').webhook;
    assert.equal(off.state, 'STOPPED');
    assert.equal(off.isActive, false);
    assert.equal(off.stateReason, 'Deactivated by Admin');
    assert.ok(Date.parse(off.stateChangedAt) >= Date.parse(webhook.stateChangedAt));
    const on = payloadOk(await gql(SET_ACTIVE, { id: webhook.id, active: true }), 'setWebhookActive').webhook;
    assert.equal(on.state, 'ACTIVE');
    assert.equal(on.isActive, true);
    assert.equal(on.stateReason, 'Activated by Admin');
    assert.equal(okData(await gql(GET_WEBHOOK, { id: webhook.id })).webhook.state, 'ACTIVE');
  });

  test('activating clears TOO_MANY_ERRORS', async () => {
    const { webhook } = await createWebhook(gql);
    const { prisma } = (await import('./helpers/app.js')).testDb();
    await prisma.webhook.update({
      where: { id: webhook.id },
      data: { state: 'TOO_MANY_ERRORS', stateReason: 'Disabled after 20 failures', consecutiveFailures: 20 },
    });
    assert.equal(okData(await gql(GET_WEBHOOK, { id: webhook.id })).webhook.state, 'TOO_MANY_ERRORS');
    const on = payloadOk(await gql(SET_ACTIVE, { id: webhook.id, active: true }), 'setWebhookActive').webhook;
    assert.equal(on.state, 'ACTIVE');
    assert.equal(on.stateReason, 'Activated by Admin');
    const row = await prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    assert.equal(row.consecutiveFailures, 0);
  });
});

describe('deleteWebhook and deleteWebhooksByUrl', () => {
  test('deleteWebhook returns the id and the webhook is gone', async () => {
    const { webhook } = await createWebhook(gql);
    const payload = payloadOk(await gql(DELETE_WEBHOOK, { id: webhook.id }), 'deleteWebhook');
    assert.equal(payload.deletedWebhookId, webhook.id);
    assert.equal(okData(await gql(GET_WEBHOOK, { id: webhook.id })).webhook, null);
    assertUserError(await gql(DELETE_WEBHOOK, { id: webhook.id }), 'deleteWebhook', 'NOT_FOUND', ['id']);
  });

  test('deleteWebhooksByUrl deletes exact URL matches only', async () => {
    const url = 'https://hooks.example.com/by-url';
    const a = (await createWebhook(gql, { targetUrl: url })).webhook;
    const b = (await createWebhook(gql, { targetUrl: url })).webhook;
    const longer = (await createWebhook(gql, { targetUrl: `${url}/more` })).webhook;
    const query = (await createWebhook(gql, { targetUrl: `${url}?x=1` })).webhook;
    const upper = (await createWebhook(gql, { targetUrl: 'https://hooks.example.com/BY-URL' })).webhook;
    const payload = payloadOk(await gql(DELETE_BY_URL, { url }), 'deleteWebhooksByUrl');
    assert.deepEqual([...payload.deletedWebhookIds].sort(), [a.id, b.id].sort());
    assert.equal(okData(await gql(GET_WEBHOOK, { id: a.id })).webhook, null);
    assert.equal(okData(await gql(GET_WEBHOOK, { id: b.id })).webhook, null);
    for (const kept of [longer, query, upper]) {
      assert.equal(okData(await gql(GET_WEBHOOK, { id: kept.id })).webhook?.id, kept.id);
    }
  });

  test('deleteWebhooksByUrl with no match deletes nothing', async () => {
    const payload = payloadOk(await gql(DELETE_BY_URL, { url: 'https://hooks.example.com/nothing-here' }), 'deleteWebhooksByUrl');
    assert.deepEqual(payload.deletedWebhookIds, []);
  });
});

describe('rotateWebhookSecret', () => {
  test('returns a new whsec_ secret, and the old one signs during the grace period', async () => {
    const { webhook, secret } = await createWebhook(gql);
    const payload = payloadOk(await gql(ROTATE, { id: webhook.id }), 'rotateWebhookSecret');
    assert.equal(payload.webhook.id, webhook.id);
    assert.match(payload.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.ok(Buffer.from(payload.secret.slice(6), 'base64').length >= 24);
    assert.notEqual(payload.secret, secret);
    const { prisma } = (await import('./helpers/app.js')).testDb();
    const { signingSecrets } = await import('./helpers/app.js');
    const row = await prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    assert.deepEqual(signingSecrets(row), [payload.secret, secret]);
    // After the grace period (24 h by default) only the new secret signs.
    const later = new Date(Date.now() + 25 * 3600 * 1000);
    assert.deepEqual(signingSecrets(row, later), [payload.secret]);
  });
});

describe('webhookDefaults and the event catalog', () => {
  test('webhookDefaults lists what a new webhook gets', async () => {
    const d = okData(await gql('{ webhookDefaults { state isActive type events headers properties } }')).webhookDefaults;
    assert.deepEqual(d, { state: 'ACTIVE', isActive: true, type: 'webhook', events: [], headers: {}, properties: {} });
  });

  test('eventTypes lists the built-in types, grouped and sorted', async () => {
    const types = okData(await gql('{ eventTypes { name group description builtIn } }')).eventTypes as any[];
    const builtIns = types.filter((t) => t.builtIn).map((t) => [t.group, t.name]);
    assert.deepEqual(builtIns, [
      ['API keys', 'api_key.created'],
      ['API keys', 'api_key.revoked'],
      ['Bulk operations', 'bulk_operation.finished'],
      ['Invites', 'invite.created'],
      ['Invites', 'invite.deleted'],
      ['Roles', 'role.changed'],
      ['State changes', 'webhook.state_changed'],
      ['Users', 'associate.created'],
      ['Users', 'associate.deleted'],
      ['Users', 'associate.updated'],
      ['Webhooks', 'webhook.created'],
      ['Webhooks', 'webhook.deleted'],
      ['Webhooks', 'webhook.updated'],
    ]);
    const keys = types.map((t) => `${t.group}\u0000${t.name}`);
    assert.deepEqual(
      keys,
      [...keys].sort((a, b) => a.localeCompare(b)),
    );
    for (const t of types) assert.ok(t.description.length > 0);
  });

  test('eventTypes(group) filters by group', async () => {
    const users = okData(await gql('{ eventTypes(group: "Users") { name group } }')).eventTypes;
    assert.deepEqual(
      users.map((t: any) => t.name),
      ['associate.created', 'associate.deleted', 'associate.updated'],
    );
  });

  test('createEventType adds a custom type that webhooks can subscribe to', async () => {
    const payload = payloadOk(
      await gql(CREATE_EVENT_TYPE, { input: { name: 'contact.created', group: 'Contacts', description: 'A contact was added' } }),
      'createEventType',
    );
    assert.deepEqual(
      { ...payload.eventType, id: undefined },
      {
        id: undefined,
        name: 'contact.created',
        group: 'Contacts',
        description: 'A contact was added',
        builtIn: false,
      },
    );
    const contacts = okData(await gql('{ eventTypes(group: "Contacts") { name builtIn } }')).eventTypes;
    assert.deepEqual(contacts, [{ name: 'contact.created', builtIn: false }]);
    const { webhook } = await createWebhook(gql, { events: ['contact.created'] });
    assert.deepEqual(webhook.events, ['contact.created']);
    assertUserError(
      await gql(CREATE_EVENT_TYPE, { input: { name: 'contact.created', group: 'Contacts' } }),
      'createEventType',
      'CONFLICT',
      ['input', 'name'],
    );
    assertUserError(await gql(CREATE_EVENT_TYPE, { input: { name: 'webhook.created', group: 'Mine' } }), 'createEventType', 'CONFLICT', [
      'input',
      'name',
    ]);
    assertUserError(await gql(CREATE_EVENT_TYPE, { input: { name: 'Not An Event', group: 'Contacts' } }), 'createEventType', 'INVALID', [
      'input',
      'name',
    ]);
  });
});

describe('associates', () => {
  test('createAssociate adds an associate; associates lists everyone by name', async () => {
    const zed = await createAssociate(gql, { name: 'Zed Zimmer', email: 'Zed@Example.com', role: 'MEMBER' });
    assert.equal(zed.email, 'zed@example.com');
    assert.equal(zed.role, 'MEMBER');
    const amy = await createAssociate(gql, { name: 'Amy Adams', email: 'amy@example.com', role: 'ADMIN' });
    const list = okData(await gql('{ associates { id name email role } }')).associates as any[];
    const names = list.map((a) => a.name);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.ok(list.some((a) => a.id === zed.id && a.role === 'MEMBER'));
    assert.ok(list.some((a) => a.id === amy.id && a.role === 'ADMIN'));
    assert.ok(list.some((a) => a.id === viewer.id));
  });

  test('a duplicate email is a CONFLICT and a bad email is INVALID', async () => {
    await createAssociate(gql, { name: 'Dup One', email: 'dup@example.com', role: 'MEMBER' });
    assertUserError(
      await gql(CREATE_ASSOCIATE, { input: { name: 'Dup Two', email: 'DUP@example.com', role: 'MEMBER' } }),
      'createAssociate',
      'CONFLICT',
      ['input', 'email'],
    );
    assertUserError(
      await gql(CREATE_ASSOCIATE, { input: { name: 'Bad Mail', email: 'not-an-email', role: 'MEMBER' } }),
      'createAssociate',
      'INVALID',
      ['input', 'email'],
    );
    assertUserError(
      await gql(CREATE_ASSOCIATE, { input: { name: '  ', email: 'blank@example.com', role: 'MEMBER' } }),
      'createAssociate',
      'INVALID',
      ['input', 'name'],
    );
  });
});

describe('API keys', () => {
  test('createApiKey shows the key once; apiKeys lists hints, never the key', async () => {
    const { key, apiKey } = await createApiKey(gql, { name: 'CI', application: 'ci-bot' });
    assert.match(key, /^hk_[A-Za-z0-9]{20,}$/);
    assert.equal(apiKey.name, 'CI');
    assert.equal(apiKey.application, 'ci-bot');
    assert.ok(key.startsWith(apiKey.prefix));
    assert.equal(apiKey.lastFour, key.slice(-4));
    assert.equal(apiKey.createdBy.id, viewer.id);
    assert.equal(apiKey.associate.id, viewer.id, 'the key acts for its creator by default');
    assert.equal(apiKey.revoked, false);
    const list = okData(await gql('{ apiKeys { id name application prefix lastFour createdAt createdBy { id } revoked } }'))
      .apiKeys as any[];
    const listed = list.find((k) => k.id === apiKey.id);
    assert.deepEqual(listed, {
      id: apiKey.id,
      name: 'CI',
      application: 'ci-bot',
      prefix: apiKey.prefix,
      lastFour: apiKey.lastFour,
      createdAt: apiKey.createdAt,
      createdBy: { id: viewer.id },
      revoked: false,
    });
    assert.ok(!JSON.stringify(list).includes(key), 'apiKeys never exposes a key');
    // Newest first.
    assert.equal(list[0].id, apiKey.id);
    // The new key works.
    assert.equal(okData(await client(app.url, key)('{ viewer { id } }')).viewer.id, viewer.id);
  });

  test('a key Hookline did not generate (BOOTSTRAP_API_KEY) is hinted by its last four characters only', async () => {
    const keys = okData(await gql('{ apiKeys { name prefix lastFour } }')).apiKeys as any[];
    const bootstrap = keys.find((k) => k.name === 'Bootstrap key');
    assert.deepEqual(bootstrap, { name: 'Bootstrap key', prefix: '', lastFour: BOOTSTRAP_KEY.slice(-4) });
    // A generated key shows "hk_" and four characters, and its last four.
    const { key, apiKey } = await createApiKey(gql, { name: 'hinted' });
    assert.deepEqual([apiKey.prefix, apiKey.lastFour], [key.slice(0, 7), key.slice(-4)]);

    // Rows stored before this rule had the bootstrap key's first 7 characters;
    // the migration clears them and leaves generated keys' prefixes alone.
    const { prisma, sql } = testDb();
    await prisma.apiKey.updateMany({ where: { name: 'Bootstrap key' }, data: { prefix: BOOTSTRAP_KEY.slice(0, 7) } });
    const migration = readFileSync(`prisma/${ON_POSTGRES ? 'postgres/' : ''}migrations/20261124200000_api_key_hints/migration.sql`, 'utf8');
    await sql.run(migration);
    const after = okData(await gql('{ apiKeys { id name prefix } }')).apiKeys as any[];
    assert.equal(after.find((k) => k.name === 'Bootstrap key').prefix, '');
    assert.equal(after.find((k) => k.id === apiKey.id).prefix, key.slice(0, 7));
  });

  test('an admin creates a key for another associate; it acts with that associate and role', async () => {
    const member = await createAssociate(gql, { name: 'Mia Member', email: 'mia@example.com', role: 'MEMBER' });
    const { key, apiKey } = await createApiKey(gql, { name: 'for mia', associateId: member.id });
    assert.equal(apiKey.associate.id, member.id);
    assert.equal(apiKey.createdBy.id, viewer.id);
    const asMember = client(app.url, key);
    assert.deepEqual(okData(await asMember('{ viewer { id role } }')).viewer, { id: member.id, role: 'MEMBER' });
    assertUserError(
      await gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { field message code } } }`, {
        input: { name: 'nobody', associateId: 'noSuchAssociate000000000' },
      }),
      'createApiKey',
      'NOT_FOUND',
      ['input', 'associateId'],
    );
  });

  test('a revoked key stops working at once, with HTTP 401 UNAUTHENTICATED', async () => {
    const { key, apiKey } = await createApiKey(gql, { name: 'short-lived' });
    const temp = client(app.url, key);
    assert.equal(okData(await temp('{ viewer { id } }')).viewer.id, viewer.id);
    const revoked = payloadOk(await gql(REVOKE_API_KEY, { id: apiKey.id }), 'revokeApiKey').apiKey;
    assert.equal(revoked.id, apiKey.id);
    assert.equal(revoked.revoked, true);
    assert.ok(revoked.revokedAt);
    const after = await temp('{ viewer { id } }');
    assert.equal(after.status, 401);
    assert.equal(after.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    const bearer = await client(app.url, null)('{ viewer { id } }', undefined, { authorization: `Bearer ${key}` });
    assert.equal(bearer.status, 401);
    const listed = (okData(await gql('{ apiKeys { id revoked } }')).apiKeys as any[]).find((k) => k.id === apiKey.id);
    assert.equal(listed.revoked, true);
    assertUserError(await gql(REVOKE_API_KEY, { id: 'noSuchKey000000000000000' }), 'revokeApiKey', 'NOT_FOUND', ['id']);
  });

  test('a key can revoke itself and is refused on its next request', async () => {
    const { key, apiKey } = await createApiKey(gql, { name: 'self-revoking' });
    const self = client(app.url, key);
    payloadOk(await self(REVOKE_API_KEY, { id: apiKey.id }), 'revokeApiKey');
    const res = await self(CREATE_WEBHOOK, { input: webhookInput() });
    assert.equal(res.status, 401);
    assert.equal(res.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });
});
