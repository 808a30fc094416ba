import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { WriteGate } from '../../src/db/writeGate.js';

test('one holder at a time: a second enter waits for leave, in order', async () => {
  const gate = new WriteGate();
  const order: string[] = [];
  await gate.enter(1000);
  const second = gate.enter(1000).then(() => order.push('second entered'));
  await new Promise((r) => setTimeout(r, 30));
  order.push('first leaves');
  gate.leave();
  await second;
  gate.leave();
  assert.deepEqual(order, ['first leaves', 'second entered']);
});

test('waiting longer than the limit fails like a busy SQLite file', async () => {
  const gate = new WriteGate();
  await gate.enter(1000);
  await assert.rejects(gate.enter(50), (err: { code?: string }) => err.code === 'SQLITE_BUSY');
  gate.leave();
});

test('a thread that ends holding the gate is released by its supervisor, and waiters go on', async () => {
  const gate = new WriteGate();
  // Takes the gate the way WriteGate does (its thread id + 1) and exits without leaving.
  const w = new Worker(
    `const { workerData, threadId } = require('node:worker_threads');
     Atomics.compareExchange(new Int32Array(workerData), 0, 0, threadId + 1);`,
    { eval: true, workerData: gate.buffer },
  );
  const id = w.threadId;
  await new Promise((r) => w.on('exit', r));
  await assert.rejects(gate.enter(30), /database is locked/);
  const waiting = gate.enter(2000);
  gate.releaseFrom(id);
  await waiting;
  gate.leave();
});
