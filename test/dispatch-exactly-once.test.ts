// Without a crash, each delivery is sent exactly once: a claimed delivery's
// lease keeps every later claim away from it until its outcome is recorded.
// (Regression: SQLite bound the claim's parameters out of order, so leases
// never held and deliveries were re-sent every poll.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

let app: TestApp;
let gql: Gql;
let receivers: Receiver[];

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_CONCURRENCY: '4' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receivers = [await startReceiver(), await startReceiver()];
  await gql(`mutation { createEventType(input: { name: "order.paid", group: "Orders" }) { userErrors { message } } }`);
  for (const [i, r] of receivers.entries()) {
    await gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { userErrors { message } } }`, {
      input: { name: `r${i}`, targetUrl: r.url, events: ['order.paid'] },
    });
  }
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

test('a claim leases its deliveries: a second claim gets none of them', async () => {
  const { claimDue } = await import('./helpers/app.js');
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const account = await prisma.account.findUniqueOrThrow({ where: { name: 'default' } });
  const webhook = await prisma.webhook.findFirstOrThrow({ where: { accountId: account.id } });
  // Due an hour from now, so the running worker leaves them alone; the
  // claims below run "two hours from now".
  const later = new Date(Date.now() + 3600_000);
  const claimAt = new Date(Date.now() + 7200_000);
  await prisma.event.create({ data: { id: 'probeEvent', accountId: account.id, type: 'order.paid', payload: '{}' } });
  await prisma.delivery.createMany({
    data: ['probeA', 'probeB', 'probeC'].map((id) => ({
      id,
      accountId: account.id,
      eventId: 'probeEvent',
      webhookId: webhook.id,
      nextAttemptAt: later,
    })),
  });
  const req = {
    limit: 100,
    leaseMs: 60_000,
    perWebhook: 100,
    perAccount: 100,
    accountRooms: {},
    excludeWebhookIds: [],
    excludeAccountIds: [],
  };
  const first = await claimDue({ ...req, owner: 'probe-1' }, claimAt);
  const second = await claimDue({ ...req, owner: 'probe-2' }, claimAt);
  assert.deepEqual(first.map((c) => c.id).sort(), ['probeA', 'probeB', 'probeC']);
  assert.deepEqual(second, [], 'a leased delivery was claimed twice');
  const leased = await prisma.delivery.findMany({ where: { id: { in: ['probeA', 'probeB', 'probeC'] } } });
  for (const d of leased) {
    assert.equal(d.leaseOwner, 'probe-1');
    assert.equal(d.leaseUntil!.getTime(), claimAt.getTime() + 60_000);
  }
  // Once the lease runs out, the delivery is claimable again (a crashed worker's claims come back).
  const third = await claimDue({ ...req, owner: 'probe-3' }, new Date(claimAt.getTime() + 61_000));
  assert.deepEqual(third.map((c) => c.id).sort(), ['probeA', 'probeB', 'probeC']);
  await prisma.event.delete({ where: { id: 'probeEvent' } });
});

test('a claim by id leaves out rows another worker has leased, or is leasing, without waiting for it', async () => {
  const { claimByIds, testDb, ON_POSTGRES } = await import('./helpers/app.js');
  const { prisma, state } = testDb();
  const account = await prisma.account.findUniqueOrThrow({ where: { name: 'default' } });
  const webhook = await prisma.webhook.findFirstOrThrow({ where: { accountId: account.id } });
  // Due an hour from now, so the running worker leaves them alone.
  const later = new Date(Date.now() + 3600_000);
  const claimAt = new Date(Date.now() + 7200_000);
  const leaseUntil = new Date(claimAt.getTime() + 60_000);
  await prisma.event.create({ data: { id: 'probeEvent2', accountId: account.id, type: 'order.paid', payload: '{}' } });
  await prisma.delivery.createMany({
    data: ['probeD', 'probeE', 'probeF'].map((id) => ({
      id,
      accountId: account.id,
      eventId: 'probeEvent2',
      webhookId: webhook.id,
      nextAttemptAt: later,
    })),
  });
  const first = await claimByIds({ owner: 'probe-4', leaseMs: 60_000, ids: ['probeD'] }, claimAt);
  assert.deepEqual(
    first.map((c) => c.id),
    ['probeD'],
  );
  if (ON_POSTGRES) {
    // Another worker's claim of probeE, begun and not yet committed: the
    // claim below neither waits for it nor takes the row (SKIP LOCKED).
    const { default: pg } = await import('pg');
    const other = new pg.Client({ connectionString: state.config.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE "Delivery" SET "leaseOwner" = 'probe-other', "leaseUntil" = $1 WHERE "id" = 'probeE'`, [leaseUntil]);
      let timer: NodeJS.Timeout | undefined;
      const second = await Promise.race([
        claimByIds({ owner: 'probe-5', leaseMs: 60_000, ids: ['probeD', 'probeE', 'probeF'] }, claimAt),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("the claim waited for another worker's uncommitted claim")), 5_000);
        }),
      ]).finally(() => clearTimeout(timer));
      await other.query('COMMIT');
      assert.deepEqual(
        second.map((c) => c.id),
        ['probeF'],
      );
    } finally {
      await other.end();
    }
  } else {
    await prisma.delivery.update({ where: { id: 'probeE' }, data: { leaseOwner: 'probe-other', leaseUntil } });
    const second = await claimByIds({ owner: 'probe-5', leaseMs: 60_000, ids: ['probeD', 'probeE', 'probeF'] }, claimAt);
    assert.deepEqual(
      second.map((c) => c.id),
      ['probeF'],
    );
  }
  const rows = await prisma.delivery.findMany({ where: { id: { in: ['probeD', 'probeE', 'probeF'] } }, orderBy: { id: 'asc' } });
  assert.deepEqual(
    rows.map((d) => d.leaseOwner),
    ['probe-4', 'probe-other', 'probe-5'],
  );
  await prisma.event.delete({ where: { id: 'probeEvent2' } });
});

test('300 events to 2 webhooks arrive exactly once each', async () => {
  const before = receivers.map((r) => r.received.length);
  for (let i = 0; i < 300; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        gql(`mutation { publishEvent(input: { type: "order.paid", payload: { i: ${i + k} } }) { deliveryCount } }`),
      ),
    );
  }
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const deadline = Date.now() + 60_000;
  while ((await prisma.delivery.count({ where: { status: { not: 'SUCCEEDED' } } })) > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const pending = await prisma.delivery.count({ where: { status: { not: 'SUCCEEDED' } } });
  assert.equal(pending, 0);
  for (const [i, r] of receivers.entries()) {
    const got = r.received.slice(before[i]);
    const ids = new Set(got.map((x) => x.headers['webhook-id']));
    assert.ok(ids.size >= 300, `receiver ${i} got ${ids.size} distinct events`);
    assert.equal(got.length, ids.size, `receiver ${i} got ${got.length - ids.size} duplicates`);
  }
  const attempts = await prisma.deliveryAttempt.count();
  const deliveries = await prisma.delivery.count();
  assert.equal(attempts, deliveries, 'one attempt row per delivery when every receiver answers 200');
});
