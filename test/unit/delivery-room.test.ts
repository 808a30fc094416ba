// The room a delivery thread counts for publishes to lease new rows against
// (src/base/deliveryRoom.ts): publishes take only what is free, in-transit
// rows count until the thread receives them, and nothing goes below zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryRoom } from '../../src/base/deliveryRoom.js';

test('nothing can be leased before a thread counts its room', () => {
  const room = new DeliveryRoom();
  assert.equal(room.take(1), false);
});

test('publishes take while the room covers them; rows on their way count until the thread receives them', () => {
  const room = new DeliveryRoom();
  room.set(10);
  assert.equal(room.take(6), true);
  assert.equal(room.take(6), false, 'only 4 left');
  assert.equal(room.take(4), true);
  assert.equal(room.free, 0);
  // The thread's count before it has received them does not free them again.
  room.set(10);
  assert.equal(room.free, 0);
  room.received(6);
  room.set(4); // it now holds the 6 it received
  assert.equal(room.free, 0);
  room.received(4);
  room.set(0);
  assert.equal(room.free, 0);
});

test('settle returns what a publish took and did not lease, and adds what it leased beyond its guess', () => {
  const room = new DeliveryRoom();
  room.set(10);
  assert.ok(room.take(5));
  room.settle(5, 2);
  assert.equal(room.free, 8);
  assert.ok(room.take(1));
  room.settle(1, 4);
  assert.equal(room.free, 4);
});

test('a reset (no thread) allows nothing, and late hints or settles never push the count below zero', () => {
  const room = new DeliveryRoom();
  room.set(10);
  assert.ok(room.take(5));
  room.reset();
  assert.equal(room.take(1), false);
  room.settle(5, 0); // the publish that took before the reset finishes
  room.received(3); // hints for the dead thread's rows reach the new one
  room.set(10);
  assert.equal(room.free, 10);
});

test('shared memory: a second view of the same buffer sees the same room', () => {
  const room = new DeliveryRoom();
  const other = new DeliveryRoom(room.buffer);
  room.set(3);
  assert.ok(other.take(3));
  assert.equal(room.free, 0);
});
