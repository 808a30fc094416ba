import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createHmac } from 'node:crypto';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await gql(`mutation { createEventType(input: { name: "contact.created", group: "Contacts" }) { userErrors { message } } }`);
});
after(async () => {
  await app.stop();
  await receiver.close();
});

test('a published event arrives signed, with properties and custom headers', async () => {
  const created = await gql(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } userErrors { message } } }`,
    {
      input: {
        name: 'CRM',
        targetUrl: receiver.url,
        events: ['contact.created'],
        headers: { 'X-Team': 'growth' },
        properties: { tenant: 'acme', id: 'must-not-win', data: 'nope' },
      },
    },
  );
  assert.deepEqual(created.data.createWebhook.userErrors, []);
  const { secret, webhook } = created.data.createWebhook;
  const pub = await gql(
    `mutation { publishEvent(input: { type: "contact.created", payload: { name: "Ada" } }) { deliveryCount event { id } userErrors { message } } }`,
  );
  assert.deepEqual(pub.data.publishEvent.userErrors, []);
  assert.equal(pub.data.publishEvent.deliveryCount, 1);
  const [got] = await receiver.waitFor(1);
  const eventId = pub.data.publishEvent.event.id;
  assert.equal(got.headers['webhook-id'], eventId);
  assert.equal(got.headers['x-team'], 'growth');
  assert.equal(got.headers['content-type'], 'application/json');
  assert.match(String(got.headers['user-agent']), /^Hookline\//);
  // The standardwebhooks library is the oracle for the signature.
  const verified = new StandardWebhook(secret).verify(got.body, {
    'webhook-id': String(got.headers['webhook-id']),
    'webhook-timestamp': String(got.headers['webhook-timestamp']),
    'webhook-signature': String(got.headers['webhook-signature']),
  });
  assert.equal((verified as any).data.name, 'Ada');
  const github = `sha256=${createHmac('sha256', secret).update(got.body).digest('hex')}`;
  assert.equal(got.headers['x-hookline-signature-256'], github);
  assert.equal(got.json.id, eventId);
  assert.equal(got.json.type, 'contact.created');
  assert.deepEqual(got.json.webhook, { id: webhook.id, name: 'CRM' });
  assert.deepEqual(got.json.data, { name: 'Ada' });
  assert.equal(got.json.tenant, 'acme');
  assert.ok(!Number.isNaN(Date.parse(got.json.timestamp)));
});

test('deliveries made by the fan-out have ids in the same form as every other id (24 base62 characters)', async () => {
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const rows = await prisma.delivery.findMany({ select: { id: true } });
  assert.ok(rows.length >= 1);
  for (const { id } of rows) assert.match(id, /^[0-9A-Za-z]{24}$/);
  // Not the lower-case hex of the old generator: 24 base62 characters all
  // falling in [0-9a-f] has a chance of (16/62)^24, about 1e-14.
  assert.ok(
    rows.some(({ id }) => /[^0-9a-f]/.test(id)),
    rows.map((r) => r.id).join(' '),
  );
});

test('ids made by the database and by the service start with their creation time, so they sort in creation order', async () => {
  const { timePrefix } = await import('../src/base/ids.js');
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const rows = await prisma.delivery.findMany({ select: { id: true, createdAt: true, eventId: true } });
  const slackMs = 5_000; // the ManualClock may differ from the wall clock the ids are stamped with
  for (const r of rows) {
    for (const id of [r.id, r.eventId]) {
      assert.ok(id.slice(0, 8) >= timePrefix(r.createdAt.getTime() - slackMs), `${id} is older than its row`);
      assert.ok(id.slice(0, 8) <= timePrefix(Date.now()), `${id} is from the future`);
    }
  }
});

test('a fan-out that grows or shrinks between publishes still makes one delivery per webhook, each with its own id', async () => {
  // Delivery ids are made by the service, as many as the last fan-out of the
  // same type made, and by the database past that (src/outbox/publish.ts).
  await gql(`mutation { createEventType(input: { name: "fanout.sized", group: "Contacts" }) { userErrors { message } } }`);
  const make = async (name: string) => {
    const res = await gql(
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { message } } }`,
      {
        input: { name, targetUrl: receiver.url, events: ['fanout.sized'] },
      },
    );
    assert.deepEqual(res.data.createWebhook.userErrors, []);
    return res.data.createWebhook.webhook.id as string;
  };
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const publishTo = async (expected: string[]) => {
    const pub = await gql(
      `mutation { publishEvent(input: { type: "fanout.sized", payload: {} }) { deliveryCount event { id } userErrors { message } } }`,
    );
    assert.deepEqual(pub.data.publishEvent.userErrors, []);
    assert.equal(pub.data.publishEvent.deliveryCount, expected.length);
    const rows = await prisma.delivery.findMany({
      where: { eventId: pub.data.publishEvent.event.id },
      select: { id: true, webhookId: true },
    });
    assert.deepEqual(rows.map((r) => r.webhookId).sort(), [...expected].sort());
    for (const { id } of rows) assert.match(id, /^[0-9A-Za-z]{24}$/);
    // Delivered before the next step, which may delete a webhook (and with it its deliveries).
    const eventId = pub.data.publishEvent.event.id;
    const arrived = () => receiver.received.filter((r) => (r.json as any)?.id === eventId).length;
    for (const deadline = Date.now() + 10_000; arrived() < expected.length && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok(arrived() >= expected.length, `${arrived()} of ${expected.length} deliveries of ${eventId} arrived`);
    return rows.map((r) => r.id);
  };
  const a = await make('sized a');
  const b = await make('sized b');
  const ids = await publishTo([a, b]); // no guess yet: every id from the database
  ids.push(...(await publishTo([a, b]))); // the guess fits
  const c = await make('sized c');
  ids.push(...(await publishTo([a, b, c]))); // one short
  for (const id of [a, c]) {
    const del = await gql(`mutation($id: ID!) { deleteWebhook(id: $id) { userErrors { message } } }`, { id });
    assert.deepEqual(del.data.deleteWebhook.userErrors, []);
  }
  ids.push(...(await publishTo([b]))); // two over
  assert.equal(new Set(ids).size, ids.length, 'every delivery id is distinct');
});

test('a variable inside an inline JSON payload reaches the receiver (graphql-jit would drop it)', async () => {
  const created = await gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { userErrors { message } } }`, {
    input: { name: 'inline payloads', targetUrl: receiver.url, events: ['contact.created'] },
  });
  assert.deepEqual(created.data.createWebhook.userErrors, []);
  const before = receiver.received.length;
  const pub = await gql(
    `mutation($name: String!, $n: Int!) { publishEvent(input: { type: "contact.created", payload: { name: $name, nested: { n: $n } } }) { event { id payload } userErrors { message } } }`,
    { name: 'Grace', n: 7 },
  );
  assert.deepEqual(pub.data.publishEvent.userErrors, []);
  assert.deepEqual(pub.data.publishEvent.event.payload, { name: 'Grace', nested: { n: 7 } });
  const got = await receiver.waitFor(before + 1);
  const mine = got.slice(before).find((r) => (r.json as any)?.id === pub.data.publishEvent.event.id);
  assert.deepEqual((mine!.json as any).data, { name: 'Grace', nested: { n: 7 } });
});
