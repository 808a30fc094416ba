// Live work only for listeners: with no stream of the delivery log open on
// an instance, its delivery thread neither reads back the deliveries it
// changes nor posts its attempts to the main thread (src/base/liveInterest.ts).
// A stream that opens turns that on at once; one that opens while a batch
// commits still hears it; the metrics do not depend on it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { wsCollect } from './helpers/logStream.js';
import { waitUntil } from './helpers/wait.js';
import { scrape, sum } from './helpers/metrics.js';
import { circuitSettings } from '../src/dispatch/circuit.js';
import { Recorder } from '../src/dispatch/record.js';
import type { Outcome } from '../src/dispatch/sender.js';
import type { RecordedAttempt } from '../src/db/stores/attempts.js';
import type { UpdatedDelivery } from '../src/db/events.js';
import { manualOutcome } from './helpers/outcomes.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;
let webhookId: string;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await createEventType(gql, 'interest.test');
  ({ id: webhookId } = await createWebhook(gql, { name: 'interest receiver', targetUrl: receiver.url, events: ['interest.test'] }));
});
after(async () => {
  await app.stop();
  await receiver.close();
});

const attemptsCounted = async () => sum((await scrape(app.url)).samples, 'hookline_delivery_attempts_total', { trigger: 'scheduled' });

test('with no stream open nothing listens, deliveries go on and the metrics still count them', async () => {
  const interest = app.running.state.liveInterest;
  assert.equal(interest.any(), false, 'no stream is open yet');
  // The thread posts its metrics once a second, and after each committed
  // batch: with no listener that post carries no attempts but still comes,
  // so /metrics counts an attempt well within the second (three times, so
  // the once-a-second post cannot pass this by luck).
  for (let n = 1; n <= 3; n++) {
    const before = await attemptsCounted();
    await publish(gql, 'interest.test', { n });
    await receiver.waitFor(n);
    await waitUntil(async () => (await attemptsCounted()) > before || null, `/metrics to count attempt ${n} within 400 ms`, 400, 10);
  }
  assert.equal(interest.any(), false, 'still no listener');
});

test('a stream turns the interest on while it is open, and the attempts reach it', async () => {
  const interest = app.running.state.liveInterest;
  const stream = wsCollect(app.url, BOOTSTRAP_KEY, 'subscription($w: ID) { deliveryAttempts(webhookId: $w) { id status } }', {
    w: webhookId,
  });
  try {
    await waitUntil(() => interest.any() || null, 'the stream counts as a listener');
    const seen = receiver.received.length;
    // Publish until the stream hears one (a subscription registers a moment after it is sent).
    await waitUntil(async () => {
      if (stream.items.length) return true;
      await publish(gql, 'interest.test', { n: 2 });
      return false;
    }, 'the stream hears an attempt');
    assert.ok(receiver.received.length > seen);
    assert.equal(stream.items[0].deliveryAttempts.status, 'SUCCEEDED');
    assert.deepEqual(stream.errors, []);
  } finally {
    await stream.stop();
  }
  await waitUntil(() => !interest.any() || null, 'a closed stream no longer counts');
});

/** A failed manual try of the webhook's latest delivery. */
async function manualTry(): Promise<Outcome> {
  const page = await gql(
    `query($w: ID!) { deliveries(first: 1, filter: { webhookIds: [$w] }) { nodes { id attemptCount event { id } } } }`,
    {
      w: webhookId,
    },
  );
  const d = page.data.deliveries.nodes[0];
  const { accountId } = (await app.running.state.sql.get<{ accountId: string }>(`SELECT "accountId" FROM "Delivery" WHERE "id" = ?`, [
    d.id,
  ]))!;
  return manualOutcome(
    { id: d.id, accountId, webhookId, eventId: d.event.id, attemptCount: d.attemptCount },
    { eventType: 'interest.test', requestUrl: receiver.url, succeeded: false },
  );
}

function heard() {
  const attempts: RecordedAttempt[] = [];
  const deliveries: UpdatedDelivery[] = [];
  const offs = [
    app.running.state.bus.on('attempt.recorded', (a) => attempts.push(a)),
    app.running.state.bus.on('delivery.updated', (d) => deliveries.push(d)),
  ];
  return { attempts, deliveries, stop: () => offs.forEach((off) => off()) };
}

test('a recorder with no listener announces nothing; one that gains a listener during its commit announces the batch after it', async () => {
  const { sql, bus, logger, config } = app.running.state;
  const circuit = circuitSettings(config);
  const quiet = heard();
  try {
    await new Recorder({ sql, bus, logger, circuit, live: () => false }).record(await manualTry());
    assert.equal(quiet.attempts.length, 0, 'no attempt announced');
    assert.equal(quiet.deliveries.length, 0, 'no delivery announced');
  } finally {
    quiet.stop();
  }
  // Asked before the batch (no one) and after its commit (someone, who may have read history in between).
  const answers = [false, true];
  const late = heard();
  try {
    const outcome = await manualTry();
    await new Recorder({ sql, bus, logger, circuit, live: () => answers.shift() ?? true }).record(outcome);
    assert.deepEqual(
      late.attempts.map((a) => a.id),
      [outcome.attempt.id],
      'the attempt is announced after the commit',
    );
    assert.equal(late.deliveries.length, 1);
    assert.equal(late.deliveries[0].id, outcome.job.deliveryId);
    assert.equal(late.deliveries[0].attemptCount, outcome.job.attemptCount + 1, 'with the delivery as committed');
    assert.equal(late.deliveries[0].eventType, 'interest.test');
  } finally {
    late.stop();
  }
});
