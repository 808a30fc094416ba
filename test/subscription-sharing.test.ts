// Subscribers who ask the same thing share one execution per event: the
// work per published event does not grow with the number of subscribers,
// and subscribers with different selections still get their own shape.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { createWebhook } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const clients: Client[] = [];

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(async () => {
  for (const c of clients) await c.dispose();
  await app.stop();
});

const STATE = 'subscription { webhookStateChanged { id state stateReason } }';

function subscribe(query: string): { results: any[] } {
  const c = createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: BOOTSTRAP_KEY },
    retryAttempts: 0,
  });
  clients.push(c);
  const live = { results: [] as any[] };
  c.subscribe({ query }, { next: (r) => live.results.push(r), error: (e) => live.results.push({ error: e }), complete: () => undefined });
  return live;
}

/** Toggles the webhook until every subscriber has heard of it, then counts the SQL of one more toggle. */
async function queriesForOneToggle(id: string, lives: { results: any[] }[]): Promise<number> {
  const { onQuery } = await import('./helpers/app.js');
  let active = false;
  const toggle = () =>
    gql(`mutation($id: ID!, $a: Boolean!) { setWebhookActive(id: $id, active: $a) { userErrors { message } } }`, {
      id,
      a: (active = !active),
    });
  await waitUntil(
    async () => {
      if (lives.every((l) => l.results.length)) return true;
      await toggle();
      return false;
    },
    'every subscriber to be live',
    20_000,
    200,
  );
  // Let every in-flight message land before counting.
  await new Promise((r) => setTimeout(r, 300));
  const before = lives.map((l) => l.results.length);
  let count = 0;
  const off = onQuery(() => count++);
  await toggle();
  await waitUntil(() => lives.every((l, i) => l.results.length > before[i]), 'the counted change to reach everyone');
  await new Promise((r) => setTimeout(r, 300));
  off();
  return count;
}

test('SQL for one state change is the same for 1 subscriber and for 6', async () => {
  const w = await createWebhook(gql, { name: 'shared', targetUrl: 'https://hooks.example.com/shared', events: ['*'] });
  const one = await queriesForOneToggle(w.id, [subscribe(STATE)]);
  const six = await queriesForOneToggle(
    w.id,
    Array.from({ length: 5 }, () => subscribe(STATE)),
  );
  assert.equal(six, one, `one subscriber cost ${one} statements; six cost ${six}`);
});

test('subscribers with different selections each get their own shape', async () => {
  const w = await createWebhook(gql, { name: 'shapes', targetUrl: 'https://hooks.example.com/shapes', events: ['*'] });
  const narrow = subscribe('subscription { webhookStateChanged { id } }');
  const wide = subscribe('subscription { webhookStateChanged { id name state } }');
  await queriesForOneToggle(w.id, [narrow, wide]);
  const lastNarrow = narrow.results.at(-1).data.webhookStateChanged;
  const lastWide = wide.results.at(-1).data.webhookStateChanged;
  assert.deepEqual(Object.keys(lastNarrow), ['id']);
  assert.deepEqual(Object.keys(lastWide), ['id', 'name', 'state']);
  assert.equal(lastWide.name, 'shapes');
});
