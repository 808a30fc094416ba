// SQLite's WAL is checkpointed by a thread of its own (src/db/checkpoint.ts),
// not inside the API's or the delivery thread's commits; a checkpoint
// thread that dies is restarted. PostgreSQL has none.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { startTestApp, BOOTSTRAP_KEY, ON_POSTGRES, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await createEventType(gql, 'checkpoint.test');
  await createWebhook(gql, { name: 'checkpoint receiver', targetUrl: receiver.url, events: ['checkpoint.test'] });
});
after(async () => {
  await app.stop();
  await receiver.close();
});

const fileSize = () => statSync(app.dbPath!).size;

/** Enough rows to fill many pages: published and delivered, so both threads write. */
async function write(events: number) {
  const before = receiver.received.length;
  const text = 'x'.repeat(4000);
  for (let i = 0; i < events; i++) await publish(gql, 'checkpoint.test', { i, text });
  await receiver.waitFor(before + events);
}

// Each pass registers its own tests: SQLite's below, PostgreSQL's this one.
if (ON_POSTGRES) {
  test('PostgreSQL runs no checkpoint thread', () => {
    assert.equal(app.running.checkpointer, null);
  });
} else {
  test('the API connection never checkpoints in its commits; the checkpoint thread copies the WAL into the database file', async () => {
    assert.ok(app.running.checkpointer?.worker, 'the checkpoint thread runs');
    const row = await app.running.state.sql.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint');
    assert.equal(Number(row?.wal_autocheckpoint), 0, 'automatic checkpoints are off on the API connection');
    const start = fileSize();
    await write(150);
    // Only a checkpoint makes the database file itself grow: commits go to the WAL.
    await waitUntil(() => fileSize() > start + 300_000 || null, 'the database file to take the WAL pages', 5_000);
  });

  test('a checkpoint thread that dies is restarted, and checkpoints go on', async () => {
    const cp = app.running.checkpointer!;
    await cp.worker!.terminate();
    await waitUntil(() => (cp.restarts === 1 && cp.worker) || null, 'the checkpoint thread to be restarted', 5_000);
    const start = fileSize();
    await write(150);
    await waitUntil(() => fileSize() > start + 300_000 || null, 'the restarted thread to checkpoint', 5_000);
  });
}
