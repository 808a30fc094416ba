// Routing (issue 11): channels and content filters decide which webhooks an
// event reaches, checked at real receivers; previewRouting explains each
// miss; filters are checked when saved. Runs on SQLite and PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { assertUserError, payloadOk } from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];

const CREATE = `mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id channels filter } userErrors { field message code } }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) { webhook { id channels filter } userErrors { field message code } }
}`;
const PUBLISH = `mutation($input: PublishEventInput!) {
  publishEvent(input: $input) { deliveryCount event { id channels } userErrors { field message code } }
}`;
const PREVIEW = `query($input: PreviewRoutingInput!) {
  previewRouting(input: $input) {
    deliveryCount
    decisions { webhook { id name } reached misses { reason message path } }
    userErrors { field message code }
  }
}`;
const EVENT_DELIVERIES = `query($id: ID!) { event(id: $id) { channels deliveries(first: 100) { nodes { webhookId } } } }`;

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function createEventType(name: string, extra: Record<string, unknown> = {}) {
  payloadOk(
    await gql(
      `mutation($input: CreateEventTypeInput!) { createEventType(input: $input) { eventType { id } userErrors { field message code } } }`,
      {
        input: { name, group: 'Routing', ...extra },
      },
    ),
    'createEventType',
  );
}

interface Hook {
  id: string;
  name: string;
  receiver: Receiver;
}

async function webhook(name: string, input: Record<string, unknown>): Promise<Hook> {
  const r = await receiver();
  const created = payloadOk(await gql(CREATE, { input: { name, targetUrl: r.url, ...input } }), 'createWebhook');
  return { id: created.webhook.id, name, receiver: r };
}

async function publish(type: string, payload: Record<string, unknown>, channels?: string[]) {
  return payloadOk(await gql(PUBLISH, { input: { type, payload, ...(channels ? { channels } : {}) } }), 'publishEvent');
}

/** The markers (payload "n") a receiver got, sorted. */
const markers = (r: Receiver) => r.received.map((x) => x.json.data.n as number).sort((a, b) => a - b);

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  await createEventType('order.paid');
  // The names the seed products use, not only resource.action.
  await createEventType('contact_created');
  await createEventType('incoming_whatsapp_message');
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

let hooks: Record<'plain' | 'eu' | 'big' | 'starBoth' | 'starFilter' | 'stopped', Hook>;

test('channels and filters route exactly the events they should, to real receivers', async () => {
  hooks = {
    plain: await webhook('Plain', { events: ['order.paid'] }),
    eu: await webhook('EU channel', { events: ['order.paid'], channels: ['eu'] }),
    big: await webhook('Big orders', { events: ['order.paid'], filter: { amount: { $gt: 100 } } }),
    starBoth: await webhook('Star, channels and filter', {
      events: ['*'],
      channels: ['eu', 'us'],
      filter: { $or: [{ currency: 'EUR' }, { 'customer.tier': 'gold' }] },
    }),
    starFilter: await webhook('Star, filter', { events: ['*'], filter: { status: { $in: ['paid'] } } }),
    stopped: await webhook('Stopped', { events: ['*'], isActive: false }),
  };
  const starBoth = (await gql(`query($id: ID!) { webhook(id: $id) { channels filter } }`, { id: hooks.starBoth.id })).data.webhook;
  assert.deepEqual(starBoth, { channels: ['eu', 'us'], filter: { $or: [{ currency: 'EUR' }, { 'customer.tier': 'gold' }] } });

  const published = [
    // [type, channels, payload, webhooks it must reach]
    ['order.paid', undefined, { n: 1, amount: 50, currency: 'USD', status: 'paid' }, ['plain', 'starFilter']],
    ['order.paid', ['eu'], { n: 2, amount: 150, currency: 'EUR', status: 'paid' }, ['plain', 'eu', 'big', 'starBoth', 'starFilter']],
    ['order.paid', ['us'], { n: 3, amount: 10, currency: 'USD', customer: { tier: 'gold' }, status: 'open' }, ['plain', 'starBoth']],
    ['contact_created', ['eu', 'apac'], { n: 4, status: 'paid' }, ['starFilter']],
    ['incoming_whatsapp_message', ['apac'], { n: 5, currency: 'EUR', status: 'paid' }, ['starFilter']],
    ['order.paid', ['eu'], { n: 6, amount: 100, currency: 'USD', status: 'refunded' }, ['plain', 'eu']],
  ] as const;
  const expected = new Map<string, number[]>(Object.keys(hooks).map((k) => [k, []]));
  for (const [type, channels, payload, reach] of published) {
    const p = await publish(type, payload, channels ? [...channels] : undefined);
    assert.equal(p.deliveryCount, reach.length, `event ${payload.n}: deliveryCount`);
    assert.deepEqual(p.event.channels, channels ? [...channels] : []);
    // The deliveries written with the event are exactly the expected webhooks.
    const stored = (await gql(EVENT_DELIVERIES, { id: p.event.id })).data.event;
    assert.deepEqual(stored.channels, channels ? [...channels] : [], 'the event keeps its channels');
    const deliveries = stored.deliveries.nodes.map((d: any) => d.webhookId).sort();
    assert.deepEqual(deliveries, reach.map((k) => hooks[k].id).sort(), `event ${payload.n}: deliveries`);
    for (const k of reach) expected.get(k)!.push(payload.n);
  }
  // And the receivers got exactly those events, once each.
  for (const [k, ns] of expected) if (ns.length) await hooks[k as keyof typeof hooks].receiver.waitFor(ns.length);
  await new Promise((r) => setTimeout(r, 300)); // time for any delivery that should not happen
  for (const [k, ns] of expected) assert.deepEqual(markers(hooks[k as keyof typeof hooks].receiver), ns, `${k} received`);
});

test('previewRouting explains each miss, and agrees with publishEvent', async () => {
  const input = {
    type: 'order.paid',
    channels: ['us'],
    payload: { n: 7, amount: 10, currency: 'USD', customer: { tier: 'gold' }, status: 'open' },
  };
  const preview = (await gql(PREVIEW, { input })).data.previewRouting;
  assert.deepEqual(preview.userErrors, []);
  const byId = new Map(preview.decisions.map((d: any) => [d.webhook.id, d]));
  const decision = (k: keyof typeof hooks) => byId.get(hooks[k].id) as any;
  assert.equal(decision('plain').reached, true);
  assert.deepEqual(decision('plain').misses, []);
  assert.equal(decision('starBoth').reached, true);
  assert.deepEqual(decision('eu').misses, [
    { reason: 'CHANNEL', message: 'it listens on channels "eu"; the event is on "us"', path: null },
  ]);
  assert.deepEqual(decision('big').misses, [{ reason: 'FILTER', message: 'amount is 10; it must be > 100', path: ['amount', '$gt'] }]);
  assert.deepEqual(decision('starFilter').misses, [
    { reason: 'FILTER', message: 'status is "open"; it must be one of ["paid"]', path: ['status', '$in'] },
  ]);
  assert.deepEqual(
    decision('stopped').misses.map((m: any) => m.reason),
    ['STATE'],
  );
  assert.match(decision('stopped').misses[0].message, /the webhook is STOPPED/);
  // Reached first; the count is what a publish would answer.
  assert.deepEqual(
    preview.decisions.slice(0, 2).map((d: any) => d.reached),
    [true, true],
  );
  assert.equal(preview.deliveryCount, 2);
  assert.equal((await publish(input.type, input.payload, input.channels)).deliveryCount, preview.deliveryCount);

  const other = (await gql(PREVIEW, { input: { type: 'contact_created', payload: { status: 'open' } } })).data.previewRouting;
  const plain = other.decisions.find((d: any) => d.webhook.id === hooks.plain.id);
  assert.deepEqual(plain.misses, [{ reason: 'TYPE', message: 'it subscribes to "order.paid", not to "contact_created"', path: null }]);
  const starBoth = other.decisions.find((d: any) => d.webhook.id === hooks.starBoth.id);
  assert.deepEqual(
    starBoth.misses.map((m: any) => m.reason),
    ['CHANNEL', 'FILTER'],
  );
  assert.equal(other.deliveryCount, 0);

  // Input publishEvent would refuse is refused the same way.
  const bad = (await gql(PREVIEW, { input: { type: 'nope.nope', payload: {}, channels: ['bad channel'] } })).data.previewRouting;
  assert.deepEqual(
    bad.userErrors.map((e: any) => e.field),
    [
      ['input', 'type'],
      ['input', 'channels', '0'],
    ],
  );
});

test('channels and filters are changed and removed with updateWebhook', async () => {
  const big = payloadOk(await gql(UPDATE, { id: hooks.big.id, input: { filter: null } }), 'updateWebhook').webhook;
  assert.equal(big.filter, null);
  const eu = payloadOk(await gql(UPDATE, { id: hooks.eu.id, input: { channels: [] } }), 'updateWebhook').webhook;
  assert.deepEqual(eu.channels, []);
  // Leaving them out changes nothing.
  const starBoth = payloadOk(await gql(UPDATE, { id: hooks.starBoth.id, input: { name: 'Star, both' } }), 'updateWebhook').webhook;
  assert.deepEqual(starBoth.channels, ['eu', 'us']);
  assert.ok(starBoth.filter);
  // An empty filter has no condition: it is no filter.
  const starFilter = payloadOk(await gql(UPDATE, { id: hooks.starFilter.id, input: { filter: {} } }), 'updateWebhook').webhook;
  assert.equal(starFilter.filter, null);

  // Together with isActive (which alone is a toggle), filter: null still removes the filter.
  const r = await receiver();
  const toggled = payloadOk(
    await gql(CREATE, { input: { name: 'Toggled', targetUrl: r.url, events: ['contact_created'], filter: { a: 1 }, isActive: false } }),
    'createWebhook',
  ).webhook;
  const both = payloadOk(await gql(UPDATE, { id: toggled.id, input: { isActive: true, filter: null } }), 'updateWebhook').webhook;
  assert.equal(both.filter, null);

  const before = { big: hooks.big.receiver.received.length, eu: hooks.eu.receiver.received.length };
  const p = await publish('order.paid', { n: 8, amount: 1, currency: 'USD' });
  assert.equal(p.deliveryCount, 4, 'plain, eu, big and starFilter');
  await hooks.big.receiver.waitFor(before.big + 1);
  await hooks.eu.receiver.waitFor(before.eu + 1);
});

test('filters and channels are checked when saved, with typed errors naming the bad path', async () => {
  const r = await receiver();
  const bad = (input: Record<string, unknown>) =>
    gql(CREATE, { input: { name: `Bad ${Math.random()}`, targetUrl: r.url, events: ['*'], ...input } });
  assertUserError(
    await bad({ filter: { amount: { $gt: 'ten' } } }),
    'createWebhook',
    'INVALID',
    ['input', 'filter', 'amount', '$gt'],
    /\$gt takes a number/,
  );
  assertUserError(await bad({ filter: { $or: [{ a: 1 }, { b: { $regex: '^x' } }] } }), 'createWebhook', 'INVALID', [
    'input',
    'filter',
    '$or',
    '1',
    'b',
    '$regex',
  ]);
  assertUserError(await bad({ filter: [1] }), 'createWebhook', 'INVALID', ['input', 'filter'], /JSON object/);
  assertUserError(await bad({ channels: ['ok', 'not ok'] }), 'createWebhook', 'INVALID', ['input', 'channels', '1']);
  assertUserError(await gql(UPDATE, { id: hooks.plain.id, input: { filter: { x: { $exists: 'yes' } } } }), 'updateWebhook', 'INVALID', [
    'input',
    'filter',
    'x',
    '$exists',
  ]);
  // Nothing was saved.
  const plain = (await gql(`query($id: ID!) { webhook(id: $id) { filter } }`, { id: hooks.plain.id })).data.webhook;
  assert.equal(plain.filter, null);
});

test('publishing costs a fixed number of statements: webhooks without filters are routed in SQL, only filtered ones in code', async () => {
  const { onQuery, createAccount, ON_POSTGRES } = await import('./helpers/app.js');
  const tenant = await createAccount('routing-unfiltered');
  const other = client(app.url, tenant.apiKey);
  payloadOk(
    await other(`mutation { createEventType(input: { name: "order.paid", group: "Routing" }) { userErrors { field message code } } }`),
    'createEventType',
  );
  const r = await receiver();
  for (let i = 0; i < 20; i++)
    payloadOk(await other(CREATE, { input: { name: `Only ${i}`, targetUrl: r.url, events: ['order.paid'] } }), 'createWebhook');
  const publishSeeing = async (g: Gql, payload: Record<string, unknown>, channels: string[] = []) => {
    const seen: string[] = [];
    const stop = onQuery((s) => seen.push(s.replace(/\s+/g, ' ')));
    let deliveryCount: number;
    try {
      deliveryCount = payloadOk(await g(PUBLISH, { input: { type: 'order.paid', payload, channels } }), 'publishEvent').deliveryCount;
    } finally {
      stop();
    }
    return { seen, deliveryCount };
  };
  // previewRouting sees only the caller's account.
  const otherPreview = (await other(PREVIEW, { input: { type: 'order.paid', payload: {} } })).data.previewRouting;
  assert.equal(otherPreview.decisions.length, 20);
  assert.ok(otherPreview.decisions.every((d: any) => d.webhook.name.startsWith('Only ')));
  await publishSeeing(other, { warm: true }); // the key and the catalog are cached after this
  const unfiltered = await publishSeeing(other, { n: 1 });
  assert.equal(unfiltered.deliveryCount, 20);
  if (ON_POSTGRES) {
    // As before filters existed: one statement, no transaction.
    assert.equal(unfiltered.seen.length, 1, unfiltered.seen.join('\n'));
    assert.match(unfiltered.seen[0], /^WITH f AS .*INSERT INTO "Event".*INSERT INTO "Delivery"/);
  } else {
    // The event, the set-based fan-out, and the (empty) list of filtered webhooks.
    assert.deepEqual(
      unfiltered.seen.map((s) => s.slice(0, 22)),
      ['INSERT INTO "Event" ("', 'INSERT INTO "Delivery"', 'SELECT w."id", w."filt'],
    );
  }
  // The first account still has one filtered webhook ("Star, both", on channels eu and us).
  // (On PostgreSQL the first publish to reach a filter tries the one-statement form first; then the account goes straight to a transaction.)
  await publishSeeing(gql, { n: 9, currency: 'EUR' }, ['eu']);
  const matched = await publishSeeing(gql, { n: 10, currency: 'EUR' }, ['eu']);
  const missed = await publishSeeing(gql, { n: 11, currency: 'USD' }, ['eu']);
  assert.equal(matched.deliveryCount, missed.deliveryCount + 1);
  // Its delivery is one more INSERT, by id, in the same transaction; none when the filter does not match.
  const byId = (seen: string[]) =>
    seen.filter(
      (s) => s.startsWith('INSERT INTO "Delivery"') && /w\."id" IN \(SELECT value FROM json_each\(\?\)\)|w\."id" = ANY\(/.test(s),
    );
  assert.equal(byId(matched.seen).length, 1, matched.seen.join('\n'));
  assert.equal(byId(missed.seen).length, 0, missed.seen.join('\n'));
  assert.equal(matched.seen.length, missed.seen.length + 1);
});
