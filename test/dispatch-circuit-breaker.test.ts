// The circuit breaker against a real receiver: AUTO_DISABLE_AFTER failures in
// a row open a webhook's circuit (deliveries pause), a single probe goes out
// after the cool-down (HALF_OPEN), a failed probe reopens it with a doubled
// cool-down, a successful one closes it and the backlog resumes in order of
// due time; each transition reaches webhookStateChanged. A circuit open for
// AUTO_DISABLE_WINDOW turns the webhook to TOO_MANY_ERRORS, not sooner.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { ServerResponse } from 'node:http';
import { startTestApp, BOOTSTRAP_KEY, testDb, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { settle, waitUntil } from './helpers/wait.js';

// Long enough that the checks between two steps have time on a loaded machine.
const COOLDOWN = 600;
let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];
const sockets: Client[] = [];

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    AUTO_DISABLE_AFTER: '3',
    CIRCUIT_COOLDOWN: `${COOLDOWN}ms`,
    CIRCUIT_MAX_COOLDOWN: `${4 * COOLDOWN}ms`,
    AUTO_DISABLE_WINDOW: '3s',
    RETRY_SCHEDULE: Array.from({ length: 10 }, () => '0.05').join(','),
    // One request at a time per webhook, so the order the backlog resumes in shows at the receiver.
    WEBHOOK_CONCURRENCY: '1',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  await createEventType(gql, 'circuit.test');
});
after(async () => {
  for (const s of sockets) await s.dispose();
  await app.stop();
  for (const r of receivers) await r.close();
});

/** A receiver answering `status()` after `holdMs()`, both changeable mid-test. */
async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  const script = { status: 500, holdMs: 0 };
  r.respond((_req, _i, res: ServerResponse) => {
    const { status, holdMs } = script;
    setTimeout(() => res.writeHead(status).end(`answered ${status}`), holdMs);
  });
  return { r, script };
}

const CIRCUIT = 'circuit { state openedAt nextProbeAt }';

async function circuitOf(id: string) {
  const res = await gql(`query($id: ID!) { webhook(id: $id) { state stateReason stateChangedAt ${CIRCUIT} } }`, { id });
  assert.equal(res.errors, undefined);
  return res.data.webhook;
}

/** webhookStateChanged for one webhook over graphql-ws; resolves once it is live (a toggle came through). */
async function watchStates(id: string) {
  const c = createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: BOOTSTRAP_KEY },
    retryAttempts: 0,
  });
  sockets.push(c);
  const seen: { state: string; circuit: { state: string } }[] = [];
  c.subscribe(
    { query: `subscription($id: ID) { webhookStateChanged(webhookId: $id) { state ${CIRCUIT} } }`, variables: { id } },
    { next: (r: any) => seen.push(r.data.webhookStateChanged), error: (e) => assert.fail(String(e)), complete: () => undefined },
  );
  const toggle = (active: boolean) =>
    gql(`mutation($id: ID!, $a: Boolean!) { setWebhookActive(id: $id, active: $a) { userErrors { message } } }`, { id, a: active });
  await waitUntil(
    async () => {
      if (seen.length) return true;
      await toggle(false);
      await toggle(true);
      return false;
    },
    'the webhookStateChanged subscription to be live',
    10_000,
    200,
  );
  await waitUntil(() => seen.at(-1)?.state === 'ACTIVE', 'the toggle back on');
  seen.length = 0;
  return seen;
}

/** Whether `want` appears in `seen` in this order (other entries may sit between). */
function inOrder(seen: string[], want: string[]): boolean {
  let i = 0;
  for (const s of seen) if (s === want[i]) i++;
  return i === want.length;
}

test('opens after 3 failures, probes once after the cool-down, reopens for longer, closes, and resumes the backlog in due order', async () => {
  const { r, script } = await receiver();
  const { id } = await createWebhook(gql, { name: 'breaker', targetUrl: r.url, events: ['circuit.test'] });
  const states = await watchStates(id);

  const e1 = await publish(gql, 'circuit.test', { n: 1 });
  const opened = await waitUntil(async () => {
    const w = await circuitOf(id);
    return w.circuit.state === 'OPEN' ? w : null;
  }, 'the circuit to open');
  assert.equal(opened.state, 'ACTIVE', 'an open circuit pauses the webhook; it is not turned off');
  assert.equal(r.received.length, 3, 'three attempts, then the circuit opened');
  assert.equal(Date.parse(opened.circuit.nextProbeAt) - Date.parse(opened.circuit.openedAt), COOLDOWN);

  // Paused: newer events wait, and nothing goes out during the cool-down.
  const later = [];
  for (let n = 2; n <= 4; n++) later.push(await publish(gql, 'circuit.test', { n }));
  script.holdMs = 1000; // the probe is held (HALF_OPEN meanwhile), then fails
  await r.waitFor(4, 5_000);
  assert.ok(r.received[3].at >= Date.parse(opened.circuit.nextProbeAt) - 5, 'the probe waited for the cool-down');
  assert.equal(r.received[3].headers['webhook-id'], e1.eventId, 'the oldest delivery is the probe');
  const probing = await circuitOf(id);
  assert.equal(probing.circuit.state, 'HALF_OPEN', 'while the probe is out');
  assert.equal(probing.circuit.openedAt, opened.circuit.openedAt);

  // The probe fails: open again, the cool-down doubled, since the same moment.
  const reopened = await waitUntil(async () => {
    const w = await circuitOf(id);
    return w.circuit.state === 'OPEN' ? w : null;
  }, 'the circuit to reopen');
  assert.equal(reopened.circuit.openedAt, opened.circuit.openedAt);
  const row = await testDb().prisma.webhook.findUniqueOrThrow({ where: { id } });
  assert.equal(row.circuitCooldownMs, 2 * COOLDOWN);
  assert.ok(Date.parse(reopened.circuit.nextProbeAt) - r.received[3].at >= 2 * COOLDOWN, 'the next probe waits twice as long');
  assert.equal(r.received.length, 4, 'one probe, nothing else');

  // The receiver recovers: the next probe succeeds, the circuit closes and the backlog follows in order of due time.
  script.status = 200;
  script.holdMs = 0;
  await r.waitFor(8, 10_000);
  const closed = await circuitOf(id);
  assert.deepEqual(closed.circuit, { state: 'CLOSED', openedAt: null, nextProbeAt: null }, 'closed by the probe');
  assert.ok(r.received[4].at >= Date.parse(reopened.circuit.nextProbeAt) - 5);
  assert.deepEqual(
    r.received.slice(4).map((x) => x.json.data.n),
    [1, 2, 3, 4],
    'the probe (event 1), then the backlog in order of due time',
  );
  const v = await webhookView(gql, id);
  assert.ok(v.deliveries.every((d) => d.status === 'SUCCEEDED'));
  assert.equal((await testDb().prisma.webhook.findUniqueOrThrow({ where: { id } })).gated, false);

  await waitUntil(() => states.at(-1)?.circuit.state === 'CLOSED', 'the closing to reach the subscriber');
  const circuitStates = states.map((s) => s.circuit.state);
  assert.ok(inOrder(circuitStates, ['OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN', 'CLOSED']), circuitStates.join(' '));
});

test('TOO_MANY_ERRORS only once the circuit has stayed open for AUTO_DISABLE_WINDOW; re-activation closes it', async () => {
  const { r } = await receiver();
  const { id } = await createWebhook(gql, { name: 'breaker 2', targetUrl: r.url, events: ['circuit.test'] });
  await publish(gql, 'circuit.test', { n: 1 });
  const opened = await waitUntil(async () => {
    const w = await circuitOf(id);
    return w.circuit.state === 'OPEN' ? w : null;
  }, 'the circuit to open');
  const openedAt = Date.parse(opened.circuit.openedAt);
  // Probes fail at about 0.6, 1.8 and 4.2 s; the webhook stays on until one fails 3 s or more after opening.
  await waitUntil(() => r.received.length >= 5, 'two failed probes');
  assert.equal((await circuitOf(id)).state, 'ACTIVE');
  const off = await waitUntil(
    async () => {
      const w = await circuitOf(id);
      return w.state === 'TOO_MANY_ERRORS' ? w : null;
    },
    'the webhook to be turned off',
    15_000,
  );
  assert.ok(Date.parse(off.stateChangedAt) - openedAt >= 3000, `turned off ${Date.parse(off.stateChangedAt) - openedAt} ms after opening`);
  assert.match(off.stateReason, /^Disabled after \d+ consecutive failed deliveries, its circuit open since .+; last: HTTP 500$/);
  const events = await gql(`query { events(first: 50, type: "webhook.state_changed") { nodes { payload } } }`);
  const mine = events.data.events.nodes.filter((e: any) => e.payload.webhook.id === id);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].payload.webhook.state, 'TOO_MANY_ERRORS');

  // Off: no more probes.
  const sent = r.received.length;
  await settle(4 * COOLDOWN);
  assert.equal(r.received.length, sent);

  const on = await gql(
    `mutation($id: ID!) { setWebhookActive(id: $id, active: true) { webhook { state ${CIRCUIT} } userErrors { message } } }`,
    { id },
  );
  assert.deepEqual(on.data.setWebhookActive.webhook, { state: 'ACTIVE', circuit: { state: 'CLOSED', openedAt: null, nextProbeAt: null } });
  assert.equal((await testDb().prisma.webhook.findUniqueOrThrow({ where: { id } })).gated, false);
  await waitUntil(() => r.received.length > sent, 'deliveries to resume at once');
});
