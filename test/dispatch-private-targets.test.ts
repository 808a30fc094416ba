// Private targets, with ALLOW_PRIVATE_TARGETS unset: webhooks cannot be
// pointed at loopback, private, link-local or plain-http targets, and a row
// that points there anyway (as DNS rebinding would make it) is refused at
// delivery time, against the address actually connected to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { settle, waitUntil } from './helpers/wait.js';

// A public address literal: accepted without a DNS lookup.
const PUBLIC_URL = 'https://93.184.216.34/hook';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;

before(async () => {
  delete process.env.ALLOW_PRIVATE_TARGETS;
  app = await startTestApp();
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await createEventType(gql, 'secret.thing');
});
after(async () => {
  await app.stop();
  await receiver.close();
});

async function createErrors(targetUrl: string) {
  const res = await gql(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { code field message } } }`,
    { input: { name: `target ${targetUrl}`, targetUrl, events: ['secret.thing'] } },
  );
  assert.deepEqual(res.errors, undefined);
  return res.data.createWebhook as { webhook: { id: string } | null; userErrors: { code: string; field: string[]; message: string }[] };
}

test('createWebhook and updateWebhook refuse private, loopback, link-local and plain-http targets', async () => {
  // A host name (other than "localhost") that resolves to a private address
  // here: the machine's own name normally does (127.0.1.1, or a private LAN
  // or container address).
  const own = hostname();
  const ownAddresses = await lookup(own, { all: true });
  const { isPrivateAddress } = await import('../src/base/targets.js');
  assert.ok(
    ownAddresses.length && ownAddresses.every((a) => isPrivateAddress(a.address)),
    `this test needs the host name ${own} to resolve to private addresses; it resolves to ${JSON.stringify(ownAddresses)}`,
  );

  const refused = [
    'https://127.0.0.1/',
    'https://127.1/',
    'https://10.0.0.5/',
    'https://172.16.3.4/',
    'https://192.168.1.10/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[fe80::1]/',
    'https://[fd00::7]/',
    'https://169.254.169.254/latest',
    'https://0.0.0.0/',
    'https://224.0.0.1/',
    'https://localhost/',
    'https://localhost./',
    'https://api.localhost/',
    `https://${own}/`,
    'http://example.com/hook',
    'http://93.184.216.34/hook',
  ];
  for (const url of refused) {
    const { webhook, userErrors } = await createErrors(url);
    assert.equal(webhook, null, `${url} was accepted`);
    assert.deepEqual(
      userErrors.map((e) => [e.code, e.field]),
      [['INVALID', ['input', 'targetUrl']]],
      `${url}: ${JSON.stringify(userErrors)}`,
    );
  }
  const { userErrors: http } = await createErrors('http://example.com/hook');
  assert.match(http[0].message, /https/);

  // Allowed: a public https target. Updating it to a private one is refused.
  const { id } = await createWebhook(gql, { name: 'public', targetUrl: PUBLIC_URL, events: ['secret.thing'] });
  for (const url of ['https://10.1.2.3/', 'https://[::1]:8443/', 'http://93.184.216.34/']) {
    const res = await gql(
      `mutation($id: ID!, $url: String!) { updateWebhook(id: $id, input: { targetUrl: $url }) { webhook { id } userErrors { code field } } }`,
      { id, url },
    );
    assert.deepEqual(res.data.updateWebhook, { webhook: null, userErrors: [{ code: 'INVALID', field: ['input', 'targetUrl'] }] }, url);
  }
  const v = await gql(`query($id: ID!) { webhook(id: $id) { targetUrl } }`, { id });
  assert.equal(v.data.webhook.targetUrl, PUBLIC_URL);
  await gql(`mutation($id: ID!) { deleteWebhook(id: $id) { userErrors { message } } }`, { id });
});

test('a stored target that reaches a private address is refused at delivery time', async () => {
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const port = new URL(receiver.url).port;
  // Point existing rows straight at the loopback receiver, bypassing the
  // create-time check, as a DNS record changed after creation would.
  const targets = {
    literal: `http://127.0.0.1:${port}/hook`,
    mapped: `http://[::ffff:127.0.0.1]:${port}/hook`,
    // A name: caught by the delivery agent's DNS lookup, which checks the
    // address it is about to connect to.
    name: `http://localhost:${port}/hook`,
  };
  const ids: Record<string, string> = {};
  for (const [label, url] of Object.entries(targets)) {
    const { id } = await createWebhook(gql, { name: `rebound ${label}`, targetUrl: PUBLIC_URL, events: ['secret.thing'] });
    await prisma.webhook.update({ where: { id }, data: { targetUrl: url } });
    ids[label] = id;
  }
  const sent = await publish(gql, 'secret.thing', { password: 'hunter2' });
  assert.equal(sent.deliveryCount, 3);

  for (const [label, id] of Object.entries(ids)) {
    const v = await waitUntil(async () => {
      const w = await webhookView(gql, id);
      return w.deliveries[0]?.status === 'FAILED' ? w : null;
    }, `the ${label} delivery to fail`);
    assert.equal(v.attempts.length, 3, label);
    for (const a of v.attempts) {
      assert.equal(a.status, 'FAILED');
      assert.match(a.error!, /^PRIVATE_TARGET/, `${label}: ${a.error}`);
      assert.equal(a.responseStatus, null);
    }
  }
  await settle(200);
  assert.equal(receiver.received.length, 0, 'the private receiver got nothing');
});
