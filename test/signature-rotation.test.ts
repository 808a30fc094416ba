// Secret rotation must not break a receiver at once: during the grace period
// (SECRET_ROTATION_GRACE) the GitHub-style x-hookline-signature-256 header
// is still signed with the old secret, and webhook-signature carries both;
// after it, both use the new secret only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startTestApp, testClock, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { ROTATE, payloadOk } from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', SECRET_ROTATION_GRACE: '1h' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await createEventType(gql, 'invoice.sent');
});
after(async () => {
  testClock().reset();
  await app.stop();
  await receiver.close();
});

/** GitHub's scheme, written out here rather than taken from the service: HMAC-SHA256 of the body keyed with the secret string. */
const github = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

test('x-hookline-signature-256 keeps the old secret until the grace period ends, then the new one', async () => {
  const { id, secret: oldSecret } = await createWebhook(gql, { name: 'Rotating', targetUrl: receiver.url, events: ['invoice.sent'] });
  const newSecret = payloadOk(await gql(ROTATE, { id }), 'rotateWebhookSecret').secret;
  assert.notEqual(newSecret, oldSecret);

  await publish(gql, 'invoice.sent', { n: 1 });
  const [inGrace] = await receiver.waitFor(1);
  assert.equal(
    inGrace.headers['x-hookline-signature-256'],
    github(oldSecret, inGrace.body),
    'a receiver checking the old secret keeps working',
  );
  const standardHeaders = {
    'webhook-id': String(inGrace.headers['webhook-id']),
    'webhook-timestamp': String(inGrace.headers['webhook-timestamp']),
    'webhook-signature': String(inGrace.headers['webhook-signature']),
  };
  // The reference implementation accepts either secret during the grace period.
  new StandardWebhook(oldSecret).verify(inGrace.body, standardHeaders);
  new StandardWebhook(newSecret).verify(inGrace.body, standardHeaders);

  testClock().advance(60 * 60_000 + 1_000);
  await publish(gql, 'invoice.sent', { n: 2 });
  const [, afterGrace] = await receiver.waitFor(2);
  assert.equal(afterGrace.headers['x-hookline-signature-256'], github(newSecret, afterGrace.body), 'then the new secret signs it');
  const signatures = String(afterGrace.headers['webhook-signature']).split(' ');
  assert.equal(signatures.length, 1, 'and webhook-signature carries the new secret only');
  const expected = createHmac('sha256', Buffer.from(newSecret.slice('whsec_'.length), 'base64'))
    .update(`${afterGrace.headers['webhook-id']}.${afterGrace.headers['webhook-timestamp']}.${afterGrace.body}`)
    .digest('base64');
  assert.equal(signatures[0], `v1,${expected}`);
  assert.notEqual(github(oldSecret, afterGrace.body), github(newSecret, afterGrace.body), 'the two secrets sign differently');
});

test('a secret the caller chose signs deliveries: a shared secret as raw bytes, a whsec_ one as Standard Webhooks', async () => {
  const headersOf = (r: { headers: Record<string, unknown> }) => ({
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
  // Real time again (the first test moved the clock), and its own event type: the first test's webhook does not receive these.
  testClock().reset();
  await createEventType(gql, 'invoice.own');
  // SuperOffice's "shared secret key": any 24+ visible ASCII characters.
  const shared = 'superoffice-shared-secret-0001';
  const { id } = await createWebhook(gql, { name: 'Own secret', targetUrl: receiver.url, events: ['invoice.own'], secret: shared });
  // This test's deliveries, told apart by their event's data: delivery is at
  // least once, so a late repeat of the first test's deliveries (signed with
  // its secret) may still arrive here (seen once in CI, SQLite pass).
  const own = async (n: number) => {
    const deadline = Date.now() + 20_000;
    const mine = () => receiver.received.filter((r) => r.json?.type === 'invoice.own' && r.json?.data?.n === n);
    while (!mine().length) {
      if (Date.now() > deadline) throw new Error(`no invoice.own delivery with n = ${n} in 20 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return mine()[0];
  };
  await publish(gql, 'invoice.own', { n: 3 });
  const got = await own(3);
  assert.equal(got.headers['x-hookline-signature-256'], github(shared, got.body));
  new StandardWebhook(shared, { format: 'raw' }).verify(got.body, headersOf(got));

  // Rotating to another secret of the caller's: during the grace period both verify.
  const next = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
  const rotated = await gql(
    `mutation($id: ID!, $s: String) { rotateWebhookSecret(id: $id, secret: $s) { secret userErrors { message } } }`,
    {
      id,
      s: next,
    },
  );
  assert.equal(payloadOk(rotated, 'rotateWebhookSecret').secret, next);
  await publish(gql, 'invoice.own', { n: 4 });
  const rotatedDelivery = await own(4);
  new StandardWebhook(next).verify(rotatedDelivery.body, headersOf(rotatedDelivery));
  new StandardWebhook(shared, { format: 'raw' }).verify(rotatedDelivery.body, headersOf(rotatedDelivery));
});
