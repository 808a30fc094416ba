// ATTEMPT_RETENTION_DAYS: old attempts and payloads go; a payload that a
// pending delivery still needs stays.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', ATTEMPT_RETENTION_DAYS: '7' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
});
after(async () => {
  await app.stop();
  await receiver.close();
});

test('pruning removes attempts and payloads past retention, but keeps payloads still needed', async () => {
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const { pruneOnce } = await import('./helpers/app.js');
  await createEventType(gql, 'report.ready');
  await createWebhook(gql, { name: 'reports', targetUrl: receiver.url, events: ['report.ready'] });
  const delivered = await publish(gql, 'report.ready', { n: 1 });
  await waitUntil(
    async () => (await prisma.delivery.count({ where: { eventId: delivered.eventId, status: 'SUCCEEDED' } })) === 1,
    'delivery',
  );
  // A second event whose delivery is still pending (its webhook is stopped).
  const stopped = await createWebhook(gql, { name: 'paused', targetUrl: receiver.url, events: ['report.ready'], isActive: false });
  const pendingEvent = await prisma.event.create({
    data: {
      id: 'pendingEvent1',
      accountId: (await prisma.webhook.findUniqueOrThrow({ where: { id: stopped.id } })).accountId,
      type: 'report.ready',
      payload: '{"n":2}',
    },
  });
  await prisma.delivery.create({
    data: {
      id: 'pendingDelivery1',
      accountId: pendingEvent.accountId,
      eventId: pendingEvent.id,
      webhookId: stopped.id,
      nextAttemptAt: new Date(),
    },
  });

  const attemptsBefore = await prisma.deliveryAttempt.count();
  assert.ok(attemptsBefore >= 1);
  // Nothing is old enough yet.
  assert.deepEqual(await pruneOnce(new Date()), { attempts: 0, payloads: 0 });
  // Eight days on, everything is past the 7-day retention.
  const later = new Date(Date.now() + 8 * 86_400_000);
  const pruned = await pruneOnce(later);
  assert.equal(pruned.attempts, attemptsBefore);
  assert.equal(await prisma.deliveryAttempt.count(), 0);
  assert.equal((await prisma.event.findUniqueOrThrow({ where: { id: delivered.eventId } })).payload, null);
  assert.equal((await prisma.event.findUniqueOrThrow({ where: { id: 'pendingEvent1' } })).payload, '{"n":2}');
  // The API shows a pruned payload as null, and redelivery says why it cannot send it.
  const ev = await gql(`query($id: ID!) { event(id: $id) { payload } }`, { id: delivered.eventId });
  assert.equal(ev.data.event.payload, null);
  const deliveryId = (await prisma.delivery.findFirstOrThrow({ where: { eventId: delivered.eventId } })).id;
  const re = await gql(`mutation($id: ID!) { redeliver(deliveryId: $id) { attempt { id } userErrors { code message } } }`, {
    id: deliveryId,
  });
  assert.equal(re.data.redeliver.userErrors[0].code, 'INVALID');
  assert.match(re.data.redeliver.userErrors[0].message, /retention/);
});
