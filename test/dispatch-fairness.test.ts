// Fair delivery across tenants: account A's receivers never answer, and A
// keeps publishing to them; account B's delivery to a healthy receiver must
// still arrive at once. Before per-account slots, A's 8 webhooks × 8 slots
// filled all 64 of the instance's slots and B waited for A's timeouts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';

let app: TestApp;
let hanging: Receiver;
let healthy: Receiver;
let a: Gql;
let b: Gql;
let open = 0;
let maxOpen = 0;

before(async () => {
  // The instance's defaults for slots (256 in all, 64 per account, 8 per
  // webhook), except a smaller instance total, so that A alone could fill it
  // without a per-account limit. Timeouts long enough that B's delivery
  // cannot arrive because A's requests timed out and freed their slots.
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    DELIVERY_TIMEOUT_MS: '20000',
    DELIVERY_CONCURRENCY: '64',
    ACCOUNT_CONCURRENCY: '32',
    // Scans every 5 s only, so B's delivery cannot arrive by the periodic
    // scan: it must be claimed at once from its publish's hint although the
    // worker is busy (regression: it waited for a batch of hints to fit, and
    // A's never would).
    WORKER_POLL_MS: '5000',
  });
  hanging = await startReceiver();
  healthy = await startReceiver();
  hanging.respond((_req, _i, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => open--);
  });
  a = client(app.url, (await createTenant('Noisy')).apiKey);
  b = client(app.url, (await createTenant('Quiet')).apiKey);
});
after(async () => {
  await app.stop();
  await hanging.close();
  await healthy.close();
});

test("one account's hanging receivers do not delay another account's deliveries", async () => {
  await createEventType(a, 'job.done');
  await createEventType(b, 'job.done');
  for (let i = 0; i < 8; i++) await createWebhook(a, { name: `hangs-${i}`, targetUrl: hanging.url, events: ['job.done'] });
  await createWebhook(b, { name: 'healthy', targetUrl: healthy.url, events: ['job.done'] });

  for (let i = 0; i < 20; i++) await publish(a, 'job.done', { i });
  // A holds every slot it may: 32 of the instance's 64.
  await hanging.waitFor(32);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(maxOpen, 32, 'account A holds at most ACCOUNT_CONCURRENCY requests open');

  const sentAt = Date.now();
  await publish(b, 'job.done', { quiet: true });
  const [got] = await healthy.waitFor(1, 5000);
  const waited = got.at - sentAt;
  assert.ok(waited < 1000, `account B's delivery arrived after ${waited} ms`);
  assert.equal(maxOpen, 32, 'still no more than 32 of A');
});

test('a claim takes accounts in turn and honours account limits', async () => {
  const { claimDue, testDb } = await import('./helpers/app.js');
  const { prisma } = testDb();
  // Two new accounts, so the first test's rows (still in flight) stay out of it.
  const hook = async (name: string) => {
    const gql = client(app.url, (await createTenant(name)).apiKey);
    await createEventType(gql, 'job.done');
    return createWebhook(gql, { name, targetUrl: healthy.url, events: ['job.done'] });
  };
  const [noisyHook, quietHook] = [(await hook('Backlog')).id, (await hook('Newcomer')).id];
  const [noisy, quiet] = await Promise.all(['Backlog', 'Newcomer'].map((name) => prisma.account.findUniqueOrThrow({ where: { name } })));
  // Due an hour from now (the running worker leaves them alone); claimed "two hours from now".
  const due = Date.now() + 3600_000;
  const claimAt = new Date(Date.now() + 7200_000);
  for (const [accountId, prefix] of [
    [noisy.id, 'fairN'],
    [quiet.id, 'fairQ'],
  ]) {
    await prisma.event.create({ data: { id: `${prefix}Event`, accountId, type: 'job.done', payload: '{}' } });
  }
  // The noisy account's 40 rows are all older than the quiet one's 2.
  const rows = [
    ...Array.from({ length: 40 }, (_, i) => ({
      id: `fairN${i}`,
      accountId: noisy.id,
      eventId: 'fairNEvent',
      webhookId: noisyHook,
      at: due + i,
    })),
    ...[0, 1].map((i) => ({ id: `fairQ${i}`, accountId: quiet.id, eventId: 'fairQEvent', webhookId: quietHook, at: due + 100 + i })),
  ];
  await prisma.delivery.createMany({
    data: rows.map((r) => ({
      id: r.id,
      accountId: r.accountId,
      eventId: r.eventId,
      webhookId: r.webhookId,
      nextAttemptAt: new Date(r.at),
    })),
  });
  // The first test's accounts still have rows in flight: leave them out.
  const earlier = (await prisma.account.findMany({ where: { name: { in: ['Noisy', 'Quiet'] } } })).map((x) => x.id);
  const req = { leaseMs: 60_000, perWebhook: 100, perAccount: 100, accountRooms: {}, excludeWebhookIds: [], excludeAccountIds: earlier };

  // Four slots: accounts in turn, oldest first within each.
  const first = await claimDue({ ...req, owner: 'fair-1', limit: 4 }, claimAt);
  assert.deepEqual(first.map((c) => c.id).sort(), ['fairN0', 'fairN1', 'fairQ0', 'fairQ1']);

  // An account with 3 slots left gets 3; a full account gets none.
  const second = await claimDue({ ...req, owner: 'fair-2', limit: 50, accountRooms: { [noisy.id]: 3 } }, claimAt);
  assert.deepEqual(second.map((c) => c.id).sort(), ['fairN2', 'fairN3', 'fairN4']);
  const third = await claimDue({ ...req, owner: 'fair-3', limit: 50, excludeAccountIds: [...earlier, noisy.id] }, claimAt);
  assert.deepEqual(third, []);
});
