// A batch of outcomes with no failure in it is written on PostgreSQL as one
// statement (src/db/stores/recordBatch.ts), and falls back to the recorder's
// transaction when one of its webhooks has a failure streak to end (its
// circuit may need closing in the same commit). On SQLite it always takes
// the transaction. Either way the rows, the rollups, the delivery's state
// and the live announcements are the same.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, onQuery, BOOTSTRAP_KEY, ON_POSTGRES, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { circuitSettings } from '../src/dispatch/circuit.js';
import { Recorder } from '../src/dispatch/record.js';
import type { Outcome } from '../src/dispatch/sender.js';
import type { RecordedAttempt } from '../src/db/stores/attempts.js';
import type { UpdatedDelivery } from '../src/db/events.js';
import { manualOutcome } from './helpers/outcomes.js';
import { SPANS } from '../src/dispatch/health.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;
let webhookId: string;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await createEventType(gql, 'batch.test');
  ({ id: webhookId } = await createWebhook(gql, { name: 'batch receiver', targetUrl: receiver.url, events: ['batch.test'] }));
  await publish(gql, 'batch.test', { n: 1 });
  await receiver.waitFor(1);
  // The delivery thread's own record of that try, committed before these tests add theirs.
  await waitUntil(async () => (await rollupCount('attempts')) > 0 || null, 'the first attempt to be recorded');
});
after(async () => {
  await app.stop();
  await receiver.close();
});

/** A manual try of the delivery already made, succeeded or failed. */
async function manualTry(succeeded: boolean): Promise<Outcome> {
  const d = (await app.running.state.sql.get<{ id: string; accountId: string; eventId: string; attemptCount: number }>(
    `SELECT "id", "accountId", "eventId", "attemptCount" FROM "Delivery" WHERE "webhookId" = ?`,
    [webhookId],
  ))!;
  return manualOutcome(
    { ...d, webhookId, attemptCount: Number(d.attemptCount) },
    { eventType: 'batch.test', requestUrl: receiver.url, succeeded },
  );
}

/** Records one outcome with a listener, and returns the statements it took and what it announced. */
async function record(outcome: Outcome) {
  const { sql, bus, logger, config } = app.running.state;
  const statements: string[] = [];
  const attempts: RecordedAttempt[] = [];
  const deliveries: UpdatedDelivery[] = [];
  const offs = [
    onQuery((s) => statements.push(s)),
    bus.on('attempt.recorded', (a) => attempts.push(a)),
    bus.on('delivery.updated', (d) => deliveries.push(d)),
  ];
  try {
    await new Recorder({ sql, bus, logger, circuit: circuitSettings(config), live: () => true }).record(outcome);
  } finally {
    offs.forEach((off) => off());
  }
  return { statements, attempts, deliveries };
}

const attemptsStored = async (id: string) =>
  Number((await app.running.state.sql.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "DeliveryAttempt" WHERE "id" = ?`, [id]))!.n);
const streak = async () =>
  Number(
    (await app.running.state.sql.get<{ n: number }>(`SELECT "consecutiveFailures" AS "n" FROM "Webhook" WHERE "id" = ?`, [webhookId]))!.n,
  );
const rollupCount = async (metric: string) =>
  Number(
    (await app.running.state.sql.get<{ n: number }>(
      `SELECT COALESCE(SUM("count"), 0) AS "n" FROM "AttemptRollup" WHERE "webhookId" = ? AND "metric" = ?`,
      [webhookId, metric],
    ))!.n,
  );
const insertsAttempt = (s: string) => /^INSERT INTO "DeliveryAttempt"/.test(s);
const oneStatement = (s: string) => /^WITH/.test(s);

test('a batch of successes is written whole, announced with the delivery as committed, and on PostgreSQL in one statement', async () => {
  const outcome = await manualTry(true);
  const attemptsBefore = await rollupCount('attempts');
  const heard = await record(outcome);
  assert.equal(await attemptsStored(outcome.attempt.id), 1, 'the attempt row is stored');
  assert.equal(await rollupCount('attempts'), attemptsBefore + SPANS.length, 'the health rollups count it, once per span');
  assert.deepEqual(
    heard.attempts.map((a) => a.id),
    [outcome.attempt.id],
  );
  assert.equal(heard.deliveries.length, 1);
  assert.equal(heard.deliveries[0].attemptCount, outcome.job.attemptCount + 1, 'the delivery as committed');
  assert.equal(heard.deliveries[0].eventType, 'batch.test');
  if (ON_POSTGRES) {
    assert.equal(heard.statements.length, 1, `one statement, got: ${heard.statements.join(' | ')}`);
    assert.ok(oneStatement(heard.statements[0]));
  } else {
    assert.ok(heard.statements.some(insertsAttempt) && !heard.statements.some(oneStatement), 'SQLite writes it in the transaction');
  }
});

test('a success that ends a failure streak takes the transaction, which resets the streak', async () => {
  const failed = await manualTry(false);
  await record(failed);
  assert.equal(await streak(), 1, 'the failure starts a streak');
  const succeeded = await manualTry(true);
  const heard = await record(succeeded);
  assert.equal(await streak(), 0, 'the success ends it');
  assert.equal(await attemptsStored(succeeded.attempt.id), 1);
  assert.equal(heard.attempts.length, 1);
  assert.equal(heard.deliveries.length, 1);
  if (ON_POSTGRES) {
    // The one-statement try wrote nothing (the attempt is stored once), and the transaction's statements followed it.
    assert.ok(oneStatement(heard.statements[0]));
    assert.ok(heard.statements.slice(1).some(insertsAttempt), 'the transaction inserts the attempt');
  } else {
    assert.ok(heard.statements.some(insertsAttempt) && !heard.statements.some(oneStatement), 'written in the transaction');
  }
});
