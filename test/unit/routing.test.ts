// Routing decisions (src/base/channels.ts, src/domain/routing.ts): channels,
// and every reason previewRouting gives for a webhook an event misses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelsMatch, checkChannels, NAME_PATTERN } from '../../src/base/channels.js';
import { routingMisses, type RoutedWebhook } from '../../src/domain/routing.js';

test('channels: a webhook without channels gets everything; with channels, only events on one of them', () => {
  assert.equal(channelsMatch(null, []), true);
  assert.equal(channelsMatch([], ['eu']), true);
  assert.equal(channelsMatch(['eu'], ['eu', 'us']), true);
  assert.equal(channelsMatch(['eu', 'apac'], ['us']), false);
  assert.equal(channelsMatch(['eu'], []), false, 'an event without channels does not reach a webhook with channels');
  assert.equal(channelsMatch(['EU'], ['eu']), false, 'names are case-sensitive');
});

test('channel and event type names: letters, digits, . _ - :, 1 to 100 characters', () => {
  for (const ok of [
    'CITA_CREATED',
    'contact_created',
    'incoming_whatsapp_message',
    'contact.created',
    'tenant:42',
    'a-b',
    'x'.repeat(100),
  ]) {
    assert.match(ok, NAME_PATTERN);
  }
  for (const bad of ['', 'x'.repeat(101), 'with space', 'a/b', '*', 'ñ', 'a\u0000']) assert.doesNotMatch(bad, NAME_PATTERN);
  assert.deepEqual(checkChannels(['eu', 'eu', 'us'], 10, ['input', 'channels']), { ok: true, channels: ['eu', 'us'] });
  const bad = checkChannels(['ok', 'not ok'], 10, ['input', 'channels']);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors[0].field, ['input', 'channels', '1']);
  const many = checkChannels(['a', 'b', 'c'], 2, ['input', 'channels']);
  assert.ok(!many.ok);
  assert.match(many.errors[0].message, /at most 2/);
});

const hook = (over: Partial<RoutedWebhook> = {}): RoutedWebhook => ({
  state: 'ACTIVE',
  stateReason: null,
  events: ['order.paid'],
  channels: [],
  filter: null,
  ...over,
});
const event = { type: 'order.paid', channels: ['eu'], payload: { amount: 40, currency: 'EUR' } };
const reasons = (w: RoutedWebhook, e = event) => routingMisses(w, e).map((m) => m.reason);

test('a webhook that matches in every respect has no misses', () => {
  assert.deepEqual(routingMisses(hook(), event), []);
  assert.deepEqual(routingMisses(hook({ events: ['*'], channels: ['eu'], filter: '{"currency":"EUR"}' }), event), []);
});

test('each miss is named, and all of them are listed, in order', () => {
  assert.deepEqual(reasons(hook({ state: 'STOPPED', stateReason: 'Deactivated by Ada' })), ['STATE']);
  assert.deepEqual(reasons(hook({ events: ['order.created'] })), ['TYPE']);
  assert.deepEqual(reasons(hook({ channels: ['us'] })), ['CHANNEL']);
  assert.deepEqual(reasons(hook({ filter: '{"amount":{"$gt":100}}' })), ['FILTER']);
  assert.deepEqual(reasons(hook({ state: 'TOO_MANY_ERRORS', events: ['x.y'], channels: ['us'], filter: '{"amount":{"$gt":100}}' })), [
    'STATE',
    'TYPE',
    'CHANNEL',
    'FILTER',
  ]);
});

test('the messages say why', () => {
  const [state] = routingMisses(hook({ state: 'STOPPED', stateReason: 'Deactivated by Ada' }), event);
  assert.equal(state.message, 'the webhook is STOPPED (Deactivated by Ada)');
  const [type] = routingMisses(hook({ events: ['order.created', 'order.refunded'] }), event);
  assert.equal(type.message, 'it subscribes to "order.created", "order.refunded", not to "order.paid"');
  const [channel] = routingMisses(hook({ channels: ['us'] }), { ...event, channels: [] });
  assert.equal(channel.message, 'it listens on channels "us"; the event has no channels');
  const [filter] = routingMisses(hook({ filter: '{"amount":{"$gt":100}}' }), event);
  assert.deepEqual(filter, { reason: 'FILTER', message: 'amount is 40; it must be > 100', path: ['amount', '$gt'] });
});
