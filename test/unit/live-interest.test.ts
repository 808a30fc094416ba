// The count of live delivery-log listeners (src/base/liveInterest.ts) as the
// in-memory pubsub's event target keeps it (src/live/interestTarget.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPubSub } from 'graphql-yoga';
import { LiveInterest } from '../../src/base/liveInterest.js';
import { countingTarget } from '../../src/live/interestTarget.js';
import type { Topics } from '../../src/live/pubsub.js';

test('only listeners of the attempts and deliveries topics count, each once per channel, until removed', () => {
  const interest = new LiveInterest();
  const target = countingTarget(interest);
  const a = () => undefined;
  const b = () => undefined;
  target.addEventListener('webhook-state:account:acc1', a);
  target.addEventListener('api-key-revoked:k1', a);
  assert.equal(interest.any(), false, 'other topics do not count');
  target.addEventListener('attempts:account:acc1', a);
  target.addEventListener('attempts:account:acc1', a); // EventTarget keeps it once
  target.addEventListener('deliveries:account:acc2', b);
  assert.equal(interest.any(), true);
  target.removeEventListener('attempts:account:acc1', a);
  assert.equal(interest.any(), true, 'b still listens');
  target.removeEventListener('deliveries:account:acc2', a); // never added there: no change
  assert.equal(interest.any(), true);
  target.removeEventListener('deliveries:account:acc2', b);
  assert.equal(interest.any(), false);
});

test('another LiveInterest on the same shared memory (as the delivery thread holds) reads the same count', () => {
  const main = new LiveInterest();
  const thread = new LiveInterest(main.buffer);
  main.add();
  assert.equal(thread.any(), true);
  main.remove();
  assert.equal(thread.any(), false);
});

test('a pubsub subscription counts while its iterator is open, and events still reach it', async () => {
  const interest = new LiveInterest();
  const pubsub = createPubSub<Topics>({ eventTarget: countingTarget(interest) });
  const it = pubsub.subscribe('deliveries:account', 'acc1')[Symbol.asyncIterator]();
  const next = it.next();
  assert.equal(interest.any(), true);
  pubsub.publish('deliveries:account', 'acc1', { id: 'd1' } as never);
  assert.equal(((await next).value as { id: string }).id, 'd1');
  await it.return!();
  assert.equal(interest.any(), false);
});
