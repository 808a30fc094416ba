import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OwnedRows } from '../../src/dispatch/ownedRows.js';

const row = (id: string, webhookId: string, accountId = 'acc') => ({ id, webhookId, accountId, eventId: `e-${id}`, attemptCount: 0 });
const unlimited = () => 1_000;

test('pick takes oldest first within a webhook and serves webhooks round-robin', () => {
  const owned = new OwnedRows();
  for (const w of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) owned.add(row(`${w}${i}`, `w${w}`), i);
  const two = () => 2;
  assert.deepEqual(
    owned.pick(3, two, unlimited).map((c) => c.id),
    ['a0', 'a1', 'b0'],
  );
  // The served webhooks went to the back: wc, which got nothing, comes first now.
  assert.deepEqual(
    owned.pick(3, two, unlimited).map((c) => c.id),
    ['c0', 'c1', 'a2'],
  );
  assert.deepEqual(owned.ids().sort(), ['b1', 'b2', 'c2']);
});

test('pick leaves rows whose webhook or account has no room, and counts an account across its webhooks', () => {
  const owned = new OwnedRows();
  owned.add(row('x1', 'w1', 'full'), 0);
  owned.add(row('y1', 'w2', 'busy'), 1);
  owned.add(row('y2', 'w3', 'busy'), 2);
  owned.add(row('y3', 'w3', 'busy'), 3);
  owned.add(row('z1', 'w4', 'free'), 4);
  owned.add(row('z2', 'w5', 'free'), 5);
  const accountRoom = (a: string) => ({ full: 0, busy: 2, free: 5 })[a]!;
  const webhookRoom = (w: string) => (w === 'w5' ? 0 : 10);
  assert.deepEqual(
    owned.pick(10, webhookRoom, accountRoom).map((c) => c.id),
    ['y1', 'y2', 'z1'],
  );
  assert.deepEqual(owned.ids().sort(), ['x1', 'y3', 'z2']);
});

test('heldSince names the rows held since a time, oldest first; take forgets a row', () => {
  const owned = new OwnedRows();
  owned.add(row('r1', 'w'), 100);
  owned.add(row('r2', 'w'), 200);
  owned.add(row('r3', 'v'), 300);
  assert.deepEqual(owned.heldSince(200), ['r1', 'r2']);
  assert.equal(owned.take('r1')?.id, 'r1');
  assert.equal(owned.take('r1'), undefined);
  assert.deepEqual(owned.heldSince(1_000), ['r2', 'r3']);
  owned.take('r2');
  // w is empty now: a pick must not trip over it.
  assert.deepEqual(
    owned.pick(5, unlimited, unlimited).map((c) => c.id),
    ['r3'],
  );
  assert.equal(owned.size, 0);
});

test('a pick costs the webhooks, not every held row', () => {
  const owned = new OwnedRows();
  for (let i = 0; i < 10_000; i++) owned.add(row(`f${i}`, 'full-webhook'), i);
  owned.add(row('last', 'other'), 10_001);
  let asked = 0;
  const webhookRoom = (w: string) => {
    asked++;
    return w === 'full-webhook' ? 0 : 1;
  };
  assert.deepEqual(
    owned.pick(5, webhookRoom, unlimited).map((c) => c.id),
    ['last'],
  );
  assert.equal(asked, 2);
});
