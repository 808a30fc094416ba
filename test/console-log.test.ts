// The console's webhook detail page and live delivery logs in a real Chromium
// against a real Hookline and real receivers: history then stream with no gap
// or duplicate, attempt detail rendered as text (an XSS attempt runs
// nothing), redeliver, ping, rotate, recover, status filter, pause/resume,
// reconnect and catch-up after a server restart; the account-wide log, API
// keys, People and Event types pages; axe-core on each.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { BOOTSTRAP_KEY, testEnv } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { okData } from './helpers/webhooks.js';
import { waitUntil } from './helpers/wait.js';
import { assertAccessible, consoleOrigin, screenshot, signIn } from './helpers/console.js';
import type { RunningApp } from '../src/app/app.js';

let env: Awaited<ReturnType<typeof testEnv>>;
let running: RunningApp;
let gql: Gql;
let browser: TestBrowser;
let page: Page;
let origin: string;
let receiver: Receiver;
let webhookId: string;

const XSS_BODY = `<script>window.__xss = 'script'</script><img src=x onerror="window.__xss='img'"><a href="javascript:window.__xss='link'">click me</a>`;

async function start(port = '0') {
  const { startApp } = await import('../src/app/app.js');
  const { loadConfig } = await import('../src/base/config.js');
  running = await startApp(loadConfig({ ...env.vars, PORT: port }));
  return running.url.replace('localhost', '127.0.0.1');
}

before(async () => {
  env = await testEnv({ ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '0.05' });
  const url = await start();
  gql = client(url, BOOTSTRAP_KEY);
  origin = consoleOrigin(url);
  receiver = await startReceiver();
  // Bodies saying "fail" get a 500; "xss" gets hostile HTML and headers.
  receiver.respond((req, _i, res) => {
    if (req.body.includes('"xss"')) {
      res.writeHead(200, { 'content-type': 'text/html', 'x-evil': `<script>window.__xss='header'</script>` });
      return void res.end(XSS_BODY);
    }
    if (req.body.includes('"fail"')) return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"nope"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await createEventType(gql, 'log.test');
  ({ id: webhookId } = await createWebhook(gql, { name: 'log-hook', targetUrl: receiver.url, events: ['log.test'] }));
  for (let i = 0; i < 3; i++) await publish(gql, 'log.test', { n: i });
  await receiver.waitFor(3);
  browser = await launchBrowser();
  page = await browser.page();
  await signIn(page, origin, BOOTSTRAP_KEY);
});

after(async () => {
  await browser?.close();
  await receiver?.close();
  await running?.stop();
  await env?.pg?.drop();
});

const rowIds = () =>
  page.locator('table.log-table tbody tr.attempt').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-attempt-id')!));

async function apiAttemptIds(status?: string): Promise<string[]> {
  const res = okData(
    await gql(
      `query($id: ID!, $status: DeliveryAttemptStatus) { webhook(id: $id) { deliveryAttempts(first: 100, status: $status) { nodes { id } } } }`,
      {
        id: webhookId,
        status: status ?? null,
      },
    ),
  );
  return res.webhook.deliveryAttempts.nodes.map((n: { id: string }) => n.id);
}

/** The log shows exactly the API's attempts (`count` of them when given): none missing, none twice. */
async function logMatchesApi(what: string, status?: string, count?: number) {
  await waitUntil(
    async () => {
      const [shown, stored] = [await rowIds(), await apiAttemptIds(status)];
      if (count !== undefined && stored.length !== count) return false;
      return shown.length === new Set(shown).size && [...shown].sort().join() === [...stored].sort().join();
    },
    what,
    15_000,
  );
}

test('webhook detail: fields and stats, then history followed by attempts streamed as events are published (no gap, no duplicate)', async () => {
  await page.goto(`${origin}/webhooks/${webhookId}`);
  await page.getByRole('heading', { name: 'log-hook' }).waitFor();
  await page.locator('dl.stats').getByText('Succeeded').waitFor();
  await logMatchesApi('history of 3', undefined, 3);
  assert.equal((await rowIds()).length, 3);
  await page.locator('.live.connected').waitFor();
  for (let i = 0; i < 5; i++) await publish(gql, 'log.test', { n: 10 + i });
  await receiver.waitFor(8);
  await logMatchesApi('3 + 5 streamed', undefined, 8);
  assert.equal((await rowIds()).length, 8);
  // Newest on top.
  const times = await page
    .locator('table.log-table tbody tr.attempt')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-attempt-id')));
  assert.equal(times[0], (await apiAttemptIds())[0]);
  await assertAccessible(page, 'webhook detail');
  await screenshot(page, 'webhook-detail');
});

test('filter by status; pause holds new attempts back and resume shows them', async () => {
  await publish(gql, 'log.test', { kind: 'fail' });
  await receiver.waitFor(10); // the first try and one retry, both answered 500
  await logMatchesApi('the failed attempts arrive', undefined, 10);
  await page.getByLabel('Status').selectOption('FAILED');
  await logMatchesApi('only FAILED', 'FAILED');
  assert.ok((await rowIds()).length >= 1);
  await page.getByLabel('Status').selectOption('');
  await logMatchesApi('all again');
  await page.getByRole('button', { name: 'Pause live updates' }).click();
  const before = await rowIds();
  await publish(gql, 'log.test', { n: 'paused-1' });
  await publish(gql, 'log.test', { n: 'paused-2' });
  await receiver.waitFor(12);
  await page.getByText('2 new attempt(s) waiting').waitFor();
  assert.deepEqual(await rowIds(), before);
  await page.getByRole('button', { name: 'Resume live updates' }).click();
  await logMatchesApi('resumed', undefined, 12);
});

test('attempt detail renders hostile response bodies and headers as text: nothing runs', async () => {
  await publish(gql, 'log.test', { kind: 'xss', note: '<img src=x onerror="window.__xss=\'payload\'">' });
  await receiver.waitFor(13);
  await logMatchesApi('xss attempt', undefined, 13);
  const newest = (await rowIds())[0];
  await page
    .locator(`tr[data-attempt-id="${newest}"]`)
    .getByRole('button', { name: /^Open attempt/ })
    .click();
  const dlg = page.getByRole('dialog', { name: 'Delivery attempt' });
  const body = dlg.locator('[data-part="response-body"]');
  await body.waitFor();
  assert.equal(await body.innerText(), XSS_BODY);
  assert.match(await dlg.locator('[data-part="response-headers"]').innerText(), /x-evil: <script>window.__xss='header'<\/script>/);
  assert.match(await dlg.locator('[data-part="request-body"]').innerText(), /onerror/);
  assert.match(await dlg.locator('[data-part="request-headers"]').innerText(), /webhook-signature/i);
  assert.equal(await dlg.locator('img, script, a[href^="javascript"]').count(), 0);
  await dlg.getByText('click me', { exact: false }).first().click();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), undefined);
  await screenshot(page, 'attempt-detail');
  await assertAccessible(page, 'attempt detail dialog');
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
});

test('redeliver from an attempt, ping, rotate the secret (shown once), recover since a date', async () => {
  const newest = (await rowIds())[0];
  await page
    .locator(`tr[data-attempt-id="${newest}"]`)
    .getByRole('button', { name: /^Open attempt/ })
    .click();
  const dlg = page.getByRole('dialog', { name: 'Delivery attempt' });
  await dlg.getByRole('button', { name: 'Redeliver' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /Redelivered: attempt #2 SUCCEEDED/ })
    .waitFor();
  await waitUntil(
    async () => (await page.locator('table.log-table tbody tr.attempt').first().innerText()).includes('MANUAL'),
    'MANUAL row on top',
  );
  await page.getByRole('button', { name: 'Ping' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /Ping sent: SUCCEEDED \(HTTP 200\)/ })
    .waitFor();
  await waitUntil(
    async () => (await page.locator('table.log-table tbody tr.attempt').first().innerText()).includes('PING'),
    'PING row on top',
  );
  await logMatchesApi('after redeliver and ping');
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const secret = page.getByRole('dialog', { name: 'New signing secret' });
  assert.match(await secret.getByLabel('Signing secret').inputValue(), /^whsec_/);
  await secret.getByRole('button', { name: 'Copy & close' }).click();
  await secret.waitFor({ state: 'detached' });
  await page.getByLabel('Recover failed deliveries since').fill('2000-01-01T00:00');
  await page.getByRole('button', { name: 'Recover', exact: true }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /Recovered: 1 failed deliveries requeued/ })
    .waitFor();
});

test('when the server restarts the console says so, reconnects and catches up on attempts made meanwhile', async () => {
  await logMatchesApi('before restart');
  const port = String(running.port);
  await running.stop();
  await page.locator('.live.disconnected').waitFor();
  await page.getByText('lost the connection').waitFor();
  await screenshot(page, 'reconnecting');
  await new Promise((r) => setTimeout(r, 1500));
  await start(port);
  // Published at once: the console is most likely still waiting to retry.
  await publish(gql, 'log.test', { n: 'during-outage-1' });
  await publish(gql, 'log.test', { n: 'during-outage-2' });
  await page
    .locator('.live.connected')
    .waitFor({ timeout: 15_000 })
    .catch(async (err: Error) => {
      // Say what the page showed instead, for a failure seen only under CI load.
      const live = await page
        .locator('.live')
        .innerText()
        .catch(() => '?');
      const notices = await page
        .locator('[role="status"], [role="alert"]')
        .allInnerTexts()
        .catch(() => []);
      throw new Error(`${err.message}\nlive indicator: ${live}\nnotices: ${notices.join(' | ')}`);
    });
  await page.getByText('Reconnected.').waitFor();
  await logMatchesApi('caught up after restart');
  await publish(gql, 'log.test', { n: 'after-reconnect' });
  await logMatchesApi('streaming again');
});

test('account-wide delivery log streams every webhook', async () => {
  const { id: other } = await createWebhook(gql, { name: 'second-hook', targetUrl: `${receiver.url}/2`, events: ['log.test'] });
  await page.getByRole('link', { name: 'Delivery log' }).click();
  await page.getByRole('heading', { name: 'Delivery log', level: 1 }).waitFor();
  await page.locator('.live.connected').waitFor();
  await new Promise((r) => setTimeout(r, 300));
  await publish(gql, 'log.test', { n: 'account-wide' });
  await waitUntil(async () => (await page.locator(`table.log-table a[href="/webhooks/${other}"]`).count()) === 1, 'second webhook row');
  await waitUntil(async () => (await page.locator(`table.log-table a[href="/webhooks/${webhookId}"]`).count()) >= 1, 'first webhook row');
  await assertAccessible(page, 'account log');
  // Every unclipped cell's text fits its column (the fixed layout once gave
  // the time an eighth of the table, and it ran into the status beside it).
  const overflowing = await page.$$eval('table.log-table tbody tr.attempt td:not(.clip)', (cells) =>
    cells.filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.textContent),
  );
  assert.deepEqual(overflowing, [], 'log cells whose text runs out of their column');
  await screenshot(page, 'delivery-log');
});

test('API keys: create (shown once, with copy) and revoke', async () => {
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('button', { name: 'Create API key' }).click();
  const dlg = page.getByRole('dialog', { name: 'Create API key' });
  await dlg.getByLabel('Name').fill('ci key');
  await dlg.getByLabel('Application (optional)').fill('CI');
  await dlg.getByRole('button', { name: 'Create' }).click();
  const shown = page.getByRole('dialog', { name: 'New API key' });
  const key = await shown.getByLabel('API key').inputValue();
  assert.ok(key.length > 20);
  await shown.getByRole('button', { name: 'Copy & close' }).click();
  assert.equal(okData(await client(origin + '/graphql', key)(`{ viewer { id } }`)).viewer.id.length > 0, true);
  await page.getByRole('cell', { name: 'ci key', exact: true }).waitFor();
  await assertAccessible(page, 'API keys');
  await screenshot(page, 'api-keys');
  // Console links are made here too: the URL is shown once.
  await page.getByRole('button', { name: 'Create console link' }).click();
  const linkDlg = page.getByRole('dialog', { name: 'Create console link' });
  await linkDlg.getByLabel('Role').selectOption('MEMBER');
  await linkDlg.getByRole('button', { name: 'Create' }).click();
  const linkShown = page.getByRole('dialog', { name: 'New console link' });
  assert.match(await linkShown.getByLabel('Console link').inputValue(), /\/#link=/);
  await linkShown.getByRole('button', { name: 'Copy & close' }).click();
  await page.getByRole('cell', { name: 'MEMBER', exact: true }).first().waitFor();
  await page.getByRole('button', { name: 'Revoke ci key' }).click();
  await page.getByRole('dialog', { name: 'Revoke API key' }).getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('status').filter({ hasText: 'was revoked' }).waitFor();
  const res = await client(origin + '/graphql', key)(`{ viewer { id } }`);
  assert.equal(res.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
});

test('People: list and add; Event types: the catalog by group and a custom type', async () => {
  await page.getByRole('link', { name: 'People' }).click();
  await page.getByRole('button', { name: 'Add person' }).click();
  const dlg = page.getByRole('dialog', { name: 'Add person' });
  await dlg.getByLabel('Name').fill('Rita Reader');
  await dlg.getByLabel('Email').fill('not-an-email');
  await dlg.getByRole('button', { name: 'Add' }).click();
  await dlg.locator('#person-email-error').waitFor();
  await dlg.getByLabel('Email').fill('rita@example.com');
  await dlg.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('cell', { name: 'rita@example.com' }).waitFor();
  await assertAccessible(page, 'People');
  await screenshot(page, 'people');
  await page.getByRole('link', { name: 'Event types' }).click();
  await page.getByRole('button', { name: 'Create event type' }).click();
  const t = page.getByRole('dialog', { name: 'Create event type' });
  await t.getByLabel('Name').fill('shipment.sent');
  await t.getByLabel('Group').fill('Shipping');
  await t.getByLabel('Description').fill('A parcel left the warehouse');
  await t.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('region', { name: 'Shipping' }).getByRole('cell', { name: 'shipment.sent' }).waitFor();
  await assertAccessible(page, 'Event types');
  await screenshot(page, 'event-types');
  assert.deepEqual(browser.blocked, []);
});
