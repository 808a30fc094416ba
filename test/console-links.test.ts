// Console links: an admin makes a link that signs a person in with a role,
// without an API key. The token works over HTTP, SSE and WebSocket until it
// expires or is revoked, and only its hash is stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, BOOTSTRAP_KEY, testClock, testDb, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook } from './helpers/dispatch.js';
import { settle, waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;
let webhookId: string;
const clients: Client[] = [];
const PUBLIC_URL = 'https://hooks.example.com';

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', PUBLIC_URL });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  receiver.respond((_req, _i, res) => void res.writeHead(200).end());
  await createEventType(gql, 'links.test');
  webhookId = (await createWebhook(gql, { name: 'linked', targetUrl: receiver.url, events: ['links.test'] })).id;
});
after(async () => {
  for (const c of clients) await c.dispose();
  testClock().reset();
  await app.stop();
  await receiver.close();
});

const CREATE = `mutation($input: CreateConsoleLinkInput!) {
  createConsoleLink(input: $input) { url consoleLink { id role createdAt expiresAt revokedAt createdBy { name } } userErrors { code field message } }
}`;

async function createLink(role: 'ADMIN' | 'MEMBER', expiresIn?: number) {
  const res = await gql(CREATE, { input: { role, ...(expiresIn ? { expiresIn } : {}) } });
  assert.deepEqual(res.errors, undefined);
  assert.deepEqual(res.data.createConsoleLink.userErrors, []);
  const { url, consoleLink } = res.data.createConsoleLink;
  const token = decodeURIComponent(/#link=(.+)$/.exec(url)![1]);
  return { url: url as string, token, link: consoleLink };
}

const WHOAMI = `query { webhooks(first: 5) { totalCount } }`;
const ping = () => gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } } }`, { id: webhookId });

function subscribeWs(connectionParams: Record<string, unknown>) {
  const c = createClient({ url: app.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
  clients.push(c);
  const live = { results: [] as FormattedExecutionResult<any, unknown>[], errors: [] as unknown[], completed: false };
  c.subscribe(
    { query: `subscription($w: ID) { deliveryAttempts(webhookId: $w) { id webhookId } }`, variables: { w: webhookId } },
    { next: (r) => live.results.push(r), error: (e) => live.errors.push(e), complete: () => (live.completed = true) },
  );
  return live;
}

async function untilLive(live: { results: unknown[] }) {
  await waitUntil(async () => {
    if (live.results.length) return true;
    await ping();
    await settle(100);
    return live.results.length > 0;
  }, 'the stream to be live');
  await settle(200);
  live.results.length = 0;
}

test('an admin creates a link on PUBLIC_URL with a 1-hour default; the token is stored only as its hash', async () => {
  const before = Date.now();
  const { url, token, link } = await createLink('ADMIN');
  assert.match(url, /^https:\/\/hooks\.example\.com\/#link=hkc_[A-Za-z0-9]{43}$/);
  assert.equal(link.role, 'ADMIN');
  assert.equal(link.createdBy.name.length > 0, true);
  assert.equal(link.revokedAt, null);
  const lifetime = Date.parse(link.expiresAt) - Date.parse(link.createdAt);
  assert.equal(lifetime, 3600_000);
  assert.ok(Date.parse(link.createdAt) >= before - 1000);

  const rows = await testDb().prisma.consoleLink.findMany({ where: { id: link.id } });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].tokenHash, createHash('sha256').update(token).digest('hex'));
  assert.ok(!JSON.stringify(rows).includes(token), 'the token is not stored');
  assert.ok(!JSON.stringify(rows).includes(token.slice(4, 20)), 'no part of the token is stored');

  const listed = await gql(`query { consoleLinks { id role createdAt expiresAt revokedAt } }`);
  assert.deepEqual(listed.errors, undefined);
  const mine = listed.data.consoleLinks.find((l: { id: string }) => l.id === link.id);
  assert.deepEqual(Object.keys(mine).sort(), ['createdAt', 'expiresAt', 'id', 'revokedAt', 'role']);
  assert.ok(!JSON.stringify(listed).includes(token));
});

test('expiresIn is checked: at most 7 days, at least a minute, with a userError naming it', async () => {
  for (const expiresIn of [7 * 24 * 3600 + 1, 0, -5, 30]) {
    const res = await gql(CREATE, { input: { role: 'MEMBER', expiresIn } });
    assert.deepEqual(res.errors, undefined);
    assert.equal(res.data.createConsoleLink.url, null);
    assert.deepEqual(
      res.data.createConsoleLink.userErrors.map((e: { code: string; field: string[] }) => [e.code, e.field]),
      [['INVALID', ['input', 'expiresIn']]],
    );
  }
  const week = await createLink('MEMBER', 7 * 24 * 3600);
  assert.equal(Date.parse(week.link.expiresAt) - Date.parse(week.link.createdAt), 7 * 24 * 3600_000);
});

test('a MEMBER cannot create, list or revoke links', async () => {
  const assoc = await gql(
    `mutation { createAssociate(input: { name: "Link Reader", email: "link-reader@example.com", role: MEMBER }) { associate { id } } }`,
  );
  const key = await gql(`mutation($a: ID!) { createApiKey(input: { name: "member", associateId: $a }) { key } }`, {
    a: assoc.data.createAssociate.associate.id,
  });
  const member = client(app.url, key.data.createApiKey.key);
  const created = await member(CREATE, { input: { role: 'MEMBER' } });
  assert.equal(created.data.createConsoleLink.url, null);
  assert.equal(created.data.createConsoleLink.userErrors[0].code, 'FORBIDDEN');
  const listed = await member(`query { consoleLinks { id } }`);
  assert.equal(listed.errors?.[0].extensions?.code, 'FORBIDDEN');
  const { link } = await createLink('MEMBER');
  const revoked = await member(`mutation($id: ID!) { revokeConsoleLink(id: $id) { userErrors { code } } }`, { id: link.id });
  assert.equal(revoked.data.revokeConsoleLink.userErrors[0].code, 'FORBIDDEN');
});

test('a link signs in with its role: a MEMBER link reads but cannot change anything; an ADMIN link can', async () => {
  const memberLink = await createLink('MEMBER');
  // Both header forms carry the token.
  const viaKey = client(app.url, memberLink.token);
  const viaBearer = client(app.url, null);
  const read = await viaKey(WHOAMI);
  assert.deepEqual(read.errors, undefined);
  assert.ok(read.data.webhooks.totalCount >= 1);
  const readBearer = await viaBearer(WHOAMI, {}, { authorization: `Bearer ${memberLink.token}` });
  assert.deepEqual(readBearer.errors, undefined);
  const toggle = await viaKey(`mutation($id: ID!) { setWebhookActive(id: $id, active: false) { userErrors { code } } }`, { id: webhookId });
  assert.equal(toggle.data.setWebhookActive.userErrors[0].code, 'FORBIDDEN');

  const adminLink = await createLink('ADMIN');
  const admin = client(app.url, adminLink.token);
  const made = await admin(`mutation { createEventType(input: { name: "links.admin", group: "Tests" }) { userErrors { code } } }`);
  assert.deepEqual(made.data.createEventType.userErrors, []);
  // A link cannot mint another link (which would outlive it).
  const chained = await admin(CREATE, { input: { role: 'ADMIN' } });
  assert.equal(chained.data.createConsoleLink.userErrors[0].code, 'FORBIDDEN');
  // Nor an API key, which would keep working after the link expires or is revoked.
  const key = await admin(`mutation { createApiKey(input: { name: "outlives the link" }) { key userErrors { code message } } }`);
  assert.equal(key.data.createApiKey.key, null);
  assert.equal(key.data.createApiKey.userErrors[0].code, 'FORBIDDEN');
  assert.match(key.data.createApiKey.userErrors[0].message, /console-link session cannot create API keys/);
});

test('the token works in every graphql-ws connectionParams form', async () => {
  const { token } = await createLink('MEMBER');
  const forms: Record<string, unknown>[] = [
    { apiKey: token },
    { 'x-api-key': token },
    { authorization: `Bearer ${token}` },
    { Authorization: `Bearer ${token}` },
    { headers: { 'X-Api-Key': token } },
    { headers: { Authorization: `Bearer ${token}` } },
  ];
  const lives = forms.map((params) => subscribeWs(params));
  await waitUntil(async () => {
    await ping();
    await settle(150);
    return lives.every((l) => l.results.length > 0);
  }, 'every form to stream an attempt');
  for (const l of lives) {
    assert.deepEqual(l.errors, []);
    assert.equal(l.results[0].errors, undefined, JSON.stringify(l.results[0]));
    assert.equal(l.results[0].data.deliveryAttempts.webhookId, webhookId);
  }
});

test('a revoked link is refused everywhere and its open stream ends', async () => {
  const { token, link } = await createLink('MEMBER');
  const live = subscribeWs({ apiKey: token });
  await untilLive(live);
  const revoked = await gql(`mutation($id: ID!) { revokeConsoleLink(id: $id) { consoleLink { revokedAt } userErrors { message } } }`, {
    id: link.id,
  });
  assert.deepEqual(revoked.data.revokeConsoleLink.userErrors, []);
  assert.ok(revoked.data.revokeConsoleLink.consoleLink.revokedAt);
  await waitUntil(() => live.completed, 'the stream to end');
  assert.equal(live.results.at(-1)?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(live.results.filter((r) => r.data?.deliveryAttempts).length, 0, 'no attempt reached the stream after revocation');
  const after = await client(app.url, token)(WHOAMI);
  assert.equal(after.status, 401);
  assert.equal(after.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  const listed = await gql(`query { consoleLinks { id revokedAt } }`);
  assert.ok(listed.data.consoleLinks.find((l: { id: string }) => l.id === link.id).revokedAt);
});

test('an expired link is refused, and a stream opened with it ends at expiry', async () => {
  const { token } = await createLink('MEMBER', 120);
  const live = subscribeWs({ apiKey: token });
  await untilLive(live);
  assert.deepEqual((await client(app.url, token)(WHOAMI)).errors, undefined);

  testClock().advance(121_000);
  try {
    await waitUntil(() => live.completed, 'the stream to end at expiry');
    assert.equal(live.results.at(-1)?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const refused = await client(app.url, token)(WHOAMI);
    assert.equal(refused.status, 401);
    assert.match(refused.errors![0].message, /expired/);
    // A new socket with it is refused too.
    const again = subscribeWs({ apiKey: token });
    await waitUntil(() => again.results.length || again.errors.length, 'the expired link to be refused over WebSocket');
    assert.equal(again.results[0]?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  } finally {
    testClock().reset();
  }
});
