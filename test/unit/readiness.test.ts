// /readyz's decision: which dependency failing makes the instance
// unavailable (503), which only degraded (200), and what the body lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readiness, type DependencyCheck } from '../../src/server/readiness.js';

const up: DependencyCheck = { status: 'up' };
const down: DependencyCheck = { status: 'down', error: 'x' };
const base = { database: up, draining: false, workerOnly: false };

test('all up: 200 ready, listing only the dependencies this instance has', () => {
  assert.deepEqual(readiness(base), { httpStatus: 200, body: { status: 'ready', dependencies: { database: up } } });
  assert.deepEqual(readiness({ ...base, redis: up, delivery: up }).body.dependencies, { database: up, redis: up, delivery: up });
});

test('the database down: 503 unavailable, whatever else is up', () => {
  const r = readiness({ ...base, database: down, redis: up, delivery: up });
  assert.equal(r.httpStatus, 503);
  assert.equal(r.body.status, 'unavailable');
  assert.deepEqual(r.body.dependencies.database, down);
});

test('Redis down: 200 degraded (the API and deliveries work without it)', () => {
  const r = readiness({ ...base, redis: { status: 'down' } });
  assert.deepEqual([r.httpStatus, r.body.status], [200, 'degraded']);
});

test('the delivery thread restarting: degraded for the API, unavailable for a worker process', () => {
  assert.deepEqual(
    [readiness({ ...base, delivery: down }).httpStatus, readiness({ ...base, delivery: down }).body.status],
    [200, 'degraded'],
  );
  const worker = readiness({ ...base, delivery: down, workerOnly: true });
  assert.deepEqual([worker.httpStatus, worker.body.status], [503, 'unavailable']);
  assert.equal(readiness({ ...base, delivery: up, workerOnly: true }).httpStatus, 200);
});

test('shutting down: 503 with draining, even with everything up', () => {
  const r = readiness({ ...base, redis: up, draining: true });
  assert.deepEqual([r.httpStatus, r.body.status, r.body.draining], [503, 'unavailable', true]);
  assert.equal(readiness(base).body.draining, undefined);
});
