// The console's sign-in and webhooks panel (seed 003, Koibox, OnceHub) in a
// real Chromium against a real Hookline: every sort column both ways,
// filters and search kept in the URL, server-side pages, create with grouped
// checkboxes and the secret shown once, a userError at its field, edit,
// toggle with the success message, the red dot's reason (an auto-disabled
// webhook), delete with confirmation and by URL, the application lock, the
// MEMBER read-only view, axe-core on each view, the CSP and caching headers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startTestApp, testClock, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { CREATE_API_KEY, CREATE_ASSOCIATE, okData } from './helpers/webhooks.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';
import { assertAccessible, consoleOrigin, screenshot, signIn, signOut } from './helpers/console.js';

let app: TestApp;
let gql: Gql;
let browser: TestBrowser;
let page: Page;
let origin: string;
let receiver: Receiver;
let memberKey: string;
let billingKey: string;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', AUTO_DISABLE_AFTER: '2', AUTO_DISABLE_WINDOW: '0', RETRY_SCHEDULE: '0.05' });
  gql = client(app.url, BOOTSTRAP_KEY);
  origin = consoleOrigin(app.url);
  receiver = await startReceiver();
  for (const [name, group] of [
    ['invoice.paid', 'Billing'],
    ['invoice.voided', 'Billing'],
    ['order.created', 'Orders'],
  ]) {
    const res = await gql(`mutation($input: CreateEventTypeInput!) { createEventType(input: $input) { userErrors { message } } }`, {
      input: { name, group },
    });
    assert.deepEqual(okData(res).createEventType.userErrors, []);
  }
  // 30 webhooks (two pages of 25), named so every sort column orders them differently.
  const people = [];
  for (const name of ['Zoe Owner', 'Adam Owner']) {
    const res = okData(
      await gql(CREATE_ASSOCIATE, { input: { name, email: `${name.split(' ')[0].toLowerCase()}@example.com`, role: 'ADMIN' } }),
    );
    people.push(res.createAssociate.associate.id);
  }
  for (let i = 0; i < 30; i++) {
    await createWebhook(gql, {
      name: `hook-${String(i).padStart(2, '0')}`,
      targetUrl: `${receiver.url}/${String(29 - i).padStart(2, '0')}`,
      events: i % 3 === 0 ? ['invoice.paid'] : i % 3 === 1 ? ['order.created'] : ['*'],
      ownerId: people[i % 2],
    });
  }
  const member = okData(await gql(CREATE_ASSOCIATE, { input: { name: 'Mia Member', email: 'mia@example.com', role: 'MEMBER' } }));
  memberKey = okData(await gql(CREATE_API_KEY, { input: { name: 'member key', associateId: member.createAssociate.associate.id } }))
    .createApiKey.key;
  billingKey = okData(await gql(CREATE_API_KEY, { input: { name: 'billing app', application: 'Billing App' } })).createApiKey.key;
  browser = await launchBrowser();
  page = await browser.page();
});

after(async () => {
  await browser?.close();
  await receiver?.close();
  await app?.stop();
});

const rowNames = async () => page.locator('table.webhooks tbody tr.row td:first-child a').allInnerTexts();

test('the console is served by Hookline with a strict CSP, hashed assets cached, nothing from outside', async () => {
  const res = await fetch(`${origin}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/html/);
  const csp = res.headers.get('content-security-policy')!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const html = await res.text();
  assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');
  const js = /src="(\/assets\/console-[A-Z0-9]+\.js)"/.exec(html)![1];
  const asset = await fetch(`${origin}${js}`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type')!, /^text\/javascript/);
  assert.match(asset.headers.get('cache-control')!, /immutable/);
  assert.equal((await fetch(`${origin}/assets/nope.js`)).status, 404);
  // Deep links serve the console too; GraphQL stays at /graphql.
  assert.equal((await fetch(`${origin}/webhooks?sort=NAME`)).status, 200);
  assert.equal(
    (
      await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{__typename}"}',
      })
    ).status,
    200,
  );
});

test('sign-in: a bad key is refused with a clear message; a good key signs in, kept in sessionStorage only; sign-out forgets it', async () => {
  await page.goto(`${origin}/`);
  await assertAccessible(page, 'sign-in');
  await screenshot(page, 'sign-in');
  await page.getByLabel('API key').fill('not-a-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'invalid, expired or revoked' }).waitFor();
  await signIn(page, origin, BOOTSTRAP_KEY);
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
  const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage }, url: location.href }));
  assert.deepEqual(Object.values(storage.session), [BOOTSTRAP_KEY]);
  assert.deepEqual(storage.local, {});
  assert.doesNotMatch(storage.url, new RegExp(BOOTSTRAP_KEY));
  await signOut(page);
  assert.deepEqual(await page.evaluate(() => ({ ...sessionStorage })), {});
});

test('a revoked key sends the console back to sign-in with a message', async () => {
  const created = okData(await gql(CREATE_API_KEY, { input: { name: 'short-lived' } })).createApiKey;
  await signIn(page, origin, created.key);
  await page.locator('table.webhooks tbody tr.row').first().waitFor();
  okData(await gql(`mutation($id: ID!) { revokeApiKey(id: $id) { userErrors { message } } }`, { id: created.apiKey.id }));
  await page.getByRole('link', { name: 'People' }).click();
  await page.getByText('no longer valid').waitFor();
  await page.getByLabel('API key').waitFor();
});

test('webhooks table: 003 columns, first page of 25, every sort column in both directions, done by the server', async () => {
  await signIn(page, origin, BOOTSTRAP_KEY);
  await page.locator('table.webhooks tbody tr.row').nth(24).waitFor();
  assert.equal(await page.locator('table.webhooks tbody tr.row').count(), 25);
  const headers = await page.locator('table.webhooks thead th').allInnerTexts();
  for (const h of ['Name', 'URL', 'Owner', 'Event groups', 'Created', 'Status'])
    assert.ok(
      headers.some((x) => x.startsWith(h)),
      h,
    );
  // Default: newest first.
  assert.equal((await rowNames())[0], 'hook-29');
  const expect = async (field: string, dir: 'ASC' | 'DESC', first: string) => {
    await waitUntil(
      async () => (await rowNames())[0] === first && page.url().includes(`sort=${field}&dir=${dir}`),
      `${field} ${dir} → ${first}`,
      5000,
    );
  };
  const sortBy = (label: string) =>
    page
      .locator('table.webhooks thead')
      .getByRole('button', { name: new RegExp(`^${label}`) })
      .click();
  await sortBy('Name');
  await expect('NAME', 'ASC', 'hook-00');
  await sortBy('Name');
  await expect('NAME', 'DESC', 'hook-29');
  await sortBy('URL');
  await expect('TARGET_URL', 'ASC', 'hook-29'); // …/00 belongs to hook-29
  await sortBy('URL');
  await expect('TARGET_URL', 'DESC', 'hook-00');
  await sortBy('Owner');
  await waitUntil(async () => page.url().includes('sort=OWNER&dir=ASC'), 'owner asc');
  await waitUntil(
    async () => (await page.locator('table.webhooks tbody tr.row td:nth-child(3)').first().innerText()) === 'Adam Owner',
    'Adam first',
  );
  await sortBy('Owner');
  await waitUntil(
    async () => (await page.locator('table.webhooks tbody tr.row td:nth-child(3)').first().innerText()) === 'Zoe Owner',
    'Zoe first',
  );
  await sortBy('Created');
  await expect('REGISTERED', 'ASC', 'hook-00');
  await sortBy('Created');
  await expect('REGISTERED', 'DESC', 'hook-29');
  const th = page.locator('table.webhooks thead th[aria-sort="descending"]');
  assert.match(await th.innerText(), /^Created/);
  // The event groups column names catalog groups.
  const groupsOf = async (name: string) =>
    page
      .locator('table.webhooks tbody tr.row', { has: page.getByRole('link', { name, exact: true }) })
      .locator('td:nth-child(4)')
      .innerText();
  assert.equal(await groupsOf('hook-27'), 'Billing');
  assert.equal(await groupsOf('hook-28'), 'Orders');
  assert.equal(await groupsOf('hook-29'), 'All events');
  await assertAccessible(page, 'webhooks page');
  await screenshot(page, 'webhooks');
});

test('status sort, filters, search and pages are kept in the URL; a reload shows the same view', async () => {
  await page.goto(`${origin}/webhooks?sort=NAME&dir=ASC&page=2`);
  await waitUntil(async () => (await rowNames())[0] === 'hook-25', 'page 2 starts at hook-25');
  assert.equal((await rowNames()).length, 5);
  await page.getByText('Page 2 of 2').waitFor();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await waitUntil(async () => (await rowNames())[0] === 'hook-00' && !page.url().includes('page='), 'back to page 1');
  await page.getByRole('button', { name: 'Next page' }).click();
  await waitUntil(async () => page.url().includes('page=2'), 'next page in the URL');
  await page.getByLabel('Search').fill('hook-1');
  await waitUntil(
    async () => (await rowNames()).join() === 'hook-10,hook-11,hook-12,hook-13,hook-14,hook-15,hook-16,hook-17,hook-18,hook-19',
    'search',
  );
  assert.match(page.url(), /q=hook-1/);
  assert.doesNotMatch(page.url(), /page=/);
  await page.getByLabel('Event type').selectOption('invoice.paid');
  // invoice.paid subscribers and "*" subscribers among hook-10..19: 12, 15, 18 (paid) and 11, 14, 17 (*).
  await waitUntil(async () => (await rowNames()).join() === 'hook-11,hook-12,hook-14,hook-15,hook-17,hook-18', 'event filter');
  await page.reload();
  await waitUntil(async () => (await rowNames()).join() === 'hook-11,hook-12,hook-14,hook-15,hook-17,hook-18', 'same view after reload');
  assert.equal(await page.getByLabel('Search').inputValue(), 'hook-1');
  await page.goto(`${origin}/webhooks?sort=NAME&dir=ASC`);
  await page.locator('table.webhooks tbody tr.row').nth(24).waitFor();
});

test('the copy button in the URL column copies the webhook ID and says so', async () => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await page.goto(`${origin}/webhooks?sort=NAME&dir=ASC&q=hook-03`);
  const row = page.locator('table.webhooks tbody tr.row', { hasText: 'hook-03' });
  const id = await row.getAttribute('data-id');
  assert.ok(id);
  const copy = row.getByRole('button', { name: 'Copy ID of hook-03' });
  await copy.click();
  await waitUntil(async () => (await copy.getAttribute('title')) === 'Copied', 'copied shown');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), id);
  // A row's link still opens the detail page in the console (delegated click).
  await row.getByRole('link', { name: 'hook-03' }).click();
  await page.getByRole('heading', { name: 'hook-03', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/webhooks/${id}`);
});

test('toggle: off and on with a success message at the top; the red dot tells why, including an auto-disabled webhook', async () => {
  await page.goto(`${origin}/webhooks?sort=NAME&dir=ASC&q=hook-03`);
  const toggle = page.getByRole('switch', { name: 'Active: hook-03' });
  await toggle.waitFor();
  assert.equal(await toggle.isChecked(), true);
  await toggle.click();
  await page.getByRole('status').filter({ hasText: 'Webhook "hook-03" is now inactive.' }).waitFor();
  await waitUntil(async () => !(await toggle.isChecked()), 'row updated');
  await page.getByRole('button', { name: 'Why is hook-03 stopped?' }).click();
  const dlg = page.getByRole('dialog', { name: 'Status reason' });
  await dlg.getByText('STOPPED').waitFor();
  await screenshot(page, 'status-reason');
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'hidden' });
  await toggle.click();
  await page.getByRole('status').filter({ hasText: 'is now active' }).waitFor();
  await page.getByRole('button', { name: 'Why is hook-03 stopped?' }).waitFor({ state: 'detached' });

  // Auto-disabled by failures: a receiver answering 500.
  const failing = await startReceiver();
  failing.respond((_r, _i, res) => void res.writeHead(500).end('boom'));
  try {
    await createEventType(gql, 'failing.thing');
    await createWebhook(gql, { name: 'failing-hook', targetUrl: failing.url, events: ['failing.thing'] });
    await publish(gql, 'failing.thing', {});
    await waitUntil(async () => {
      const res = await gql(`{ webhooksPage(filter: { search: "failing-hook" }) { items { state } } }`);
      return res.data.webhooksPage.items[0]?.state === 'TOO_MANY_ERRORS';
    }, 'auto-disable');
    await page.goto(`${origin}/webhooks?q=failing-hook`);
    await page.getByRole('button', { name: 'Why is failing-hook too many errors?' }).click();
    const reason = page.getByRole('dialog', { name: 'Status reason' });
    await reason.getByText('TOO_MANY_ERRORS').waitFor();
    assert.match(await reason.locator('dd.reason').innerText(), /fail/i);
    await page.keyboard.press('Escape');
  } finally {
    await failing.close();
  }
});

test('create: events as checkboxes grouped by catalog group, a userError shown at its field, then the secret once with Copy & close', async () => {
  await page.goto(`${origin}/webhooks`);
  await page.getByRole('button', { name: 'Create webhook' }).click();
  const dlg = page.getByRole('dialog', { name: 'Create webhook' });
  await dlg.waitFor();
  // Groups: built-in ones and the custom Billing and Orders.
  const legends = await dlg.locator('fieldset.group > legend').allInnerTexts();
  for (const g of ['Billing', 'Orders', 'Webhooks']) assert.ok(legends.includes(g), `group ${g} in ${legends.join(', ')}`);
  await assertAccessible(page, 'create webhook dialog');
  await dlg.getByLabel('Webhook URL').fill('ftp://nope');
  await dlg.getByLabel('Name', { exact: true }).fill('created-in-console');
  await dlg.locator('fieldset.group', { hasText: 'Billing' }).getByLabel('invoice.paid').check();
  await dlg.getByRole('button', { name: 'Add custom headers row' }).click();
  await dlg.getByLabel('Custom headers 1 name').fill('X-Team');
  await dlg.getByLabel('Custom headers 1 value').fill('payments');
  await dlg.getByRole('button', { name: 'Add properties row' }).click();
  await dlg.getByLabel('Properties 1 name').fill('region');
  await dlg.getByLabel('Properties 1 value').fill('eu');
  await dlg.getByRole('button', { name: 'Create', exact: true }).click();
  // The server's userError lands next to the URL field, which is marked invalid.
  const urlError = dlg.locator('#wh-targetUrl-error');
  await urlError.waitFor();
  assert.match(await urlError.innerText(), /http|URL/i);
  assert.equal(await dlg.getByLabel('Webhook URL').getAttribute('aria-invalid'), 'true');
  await dlg.evaluate((d) => d.scrollTo(0, 0));
  await screenshot(page, 'create-webhook');
  await dlg.getByLabel('Webhook URL').fill(`${receiver.url}/console`);
  await dlg.getByRole('button', { name: 'Create', exact: true }).click();
  const secretDlg = page.getByRole('dialog', { name: 'Secret of created-in-console' });
  await secretDlg.waitFor();
  const secret = await secretDlg.getByLabel('Signing secret').inputValue();
  assert.match(secret, /^whsec_/);
  await page.getByRole('status').filter({ hasText: 'Webhook "created-in-console" was created.' }).waitFor();
  await screenshot(page, 'secret-once');
  await secretDlg.getByRole('button', { name: 'Copy & close' }).click();
  await secretDlg.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'created-in-console', exact: true }).waitFor();
  // Saved as entered.
  const res = okData(
    await gql(`{ webhooksPage(filter: { search: "created-in-console" }) { items { events headers properties targetUrl } } }`),
  );
  assert.deepEqual(res.webhooksPage.items[0], {
    events: ['invoice.paid'],
    headers: { 'X-Team': 'payments' },
    properties: { region: 'eu' },
    targetUrl: `${receiver.url}/console`,
  });
  // The secret is not on the page any more.
  assert.equal(await page.getByText(secret).count(), 0);
});

test('edit (hover icons) opens "Modify webhook"; Escape closes a dialog and focus stays inside while it is open', async () => {
  await page.goto(`${origin}/webhooks?q=created-in-console`);
  const row = page.locator('table.webhooks tbody tr.row').first();
  await row.hover();
  await row.getByRole('button', { name: 'Edit created-in-console' }).click();
  const dlg = page.getByRole('dialog', { name: 'Modify webhook' });
  await dlg.waitFor();
  // Focus trap: tabbing many times never leaves the dialog.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => !!document.activeElement?.closest('dialog') || document.activeElement === document.body);
    assert.ok(inside, `focus left the dialog after ${i + 1} tabs`);
  }
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  await row.hover();
  await row.getByRole('button', { name: 'Edit created-in-console' }).click();
  await dlg.waitFor();
  assert.equal(await dlg.locator('fieldset.group', { hasText: 'Billing' }).getByLabel('invoice.paid').isChecked(), true);
  await dlg.locator('fieldset.group', { hasText: 'Orders' }).getByLabel('order.created').check();
  await dlg.getByLabel('Name', { exact: true }).fill('modified-in-console');
  await dlg.getByRole('button', { name: 'Modify' }).click();
  await page.getByRole('status').filter({ hasText: 'Webhook "modified-in-console" was modified.' }).waitFor();
  const res = okData(await gql(`{ webhooksPage(filter: { search: "modified-in-console" }) { items { events headers } } }`));
  assert.deepEqual(res.webhooksPage.items[0].events.sort(), ['invoice.paid', 'order.created']);
  assert.deepEqual(res.webhooksPage.items[0].headers, { 'X-Team': 'payments' });
});

test('delete with confirmation, and delete by URL (Koibox)', async () => {
  await page.goto(`${origin}/webhooks?q=modified-in-console`);
  const row = page.locator('table.webhooks tbody tr.row').first();
  await row.hover();
  await row.getByRole('button', { name: 'Delete modified-in-console' }).click();
  const dlg = page.getByRole('dialog', { name: 'Delete webhook' });
  await dlg.getByText('modified-in-console').waitFor();
  await dlg.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'was deleted' }).waitFor();
  await page.getByText('No webhooks match.').waitFor();
  await createWebhook(gql, { name: 'by-url-1', targetUrl: `${receiver.url}/same`, events: ['order.created'] });
  await createWebhook(gql, { name: 'by-url-2', targetUrl: `${receiver.url}/same`, events: ['order.created'] });
  await page.goto(`${origin}/webhooks?q=by-url`);
  await page.getByRole('link', { name: 'by-url-2' }).waitFor();
  await page.getByRole('button', { name: 'Delete by URL' }).click();
  const byUrl = page.getByRole('dialog', { name: 'Delete webhooks by URL' });
  await byUrl.getByLabel('Target URL (exact)').fill(`${receiver.url}/same`);
  await byUrl.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted 2 webhook(s)' }).waitFor();
  await page.getByText('No webhooks match.').waitFor();
});

test('an application-managed webhook shows a lock and its application; toggle, edit and delete are disabled with the reason', async () => {
  const billing = client(app.url, billingKey);
  const res = okData(
    await billing(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { message } } }`, {
      input: { name: 'managed-hook', targetUrl: `${receiver.url}/managed`, events: ['invoice.paid'], isApplicationManaged: true },
    }),
  );
  assert.deepEqual(res.createWebhook.userErrors, []);
  await page.goto(`${origin}/webhooks?q=managed-hook`);
  const row = page.locator('table.webhooks tbody tr.row').first();
  await row.getByText('Billing App').waitFor();
  assert.equal(await row.getByRole('switch').count(), 0);
  const edit = row.getByRole('button', { name: 'Edit managed-hook' });
  assert.equal(await edit.isDisabled(), true);
  assert.match((await edit.getAttribute('title'))!, /Managed by the application Billing App/);
  assert.equal(await row.getByRole('button', { name: 'Delete managed-hook' }).isDisabled(), true);
  await screenshot(page, 'managed-lock');
  // The managing application's own key may change it.
  await signOut(page);
  await signIn(page, origin, billingKey, '/webhooks?q=managed-hook');
  await row.getByRole('switch', { name: 'Active: managed-hook' }).waitFor();
  assert.equal(await row.getByRole('button', { name: 'Edit managed-hook' }).isDisabled(), false);
  await signOut(page);
  await signIn(page, origin, BOOTSTRAP_KEY);
});

test('a MEMBER sees everything read-only: no create, edit, toggle or delete controls', async () => {
  await signOut(page);
  await signIn(page, origin, memberKey);
  await page.locator('table.webhooks tbody tr.row').nth(24).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create webhook' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Delete by URL' }).count(), 0);
  assert.equal(await page.getByRole('switch').count(), 0);
  assert.equal(await page.getByRole('button', { name: /^(Edit|Delete) / }).count(), 0);
  assert.ok((await page.locator('table.webhooks tbody td.status').first().innerText()).match(/Active|Inactive/));
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Create API key|Revoke/ }).count(), 0);
  await signOut(page);
  assert.deepEqual(browser.blocked, []);
});

const CREATE_LINK = `mutation($input: CreateConsoleLinkInput!) { createConsoleLink(input: $input) { url userErrors { message } } }`;
const tokenOf = (url: string) => decodeURIComponent(/#link=(.+)$/.exec(url)![1]);

test('a console link signs a person in with its role; the fragment leaves the address bar and is never stored outside sessionStorage', async () => {
  const link = okData(await gql(CREATE_LINK, { input: { role: 'MEMBER' } })).createConsoleLink;
  assert.match(link.url, /\/#link=/);
  const token = tokenOf(link.url);
  await page.goto(`${origin}/webhooks?sort=NAME#link=${encodeURIComponent(token)}`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.locator('table.webhooks tbody tr.row').first().waitFor();
  assert.equal(page.url(), `${origin}/webhooks?sort=NAME`);
  assert.equal(await page.evaluate(() => history.length > 0 && location.hash), '');
  assert.deepEqual(await page.locator('header .badge').allInnerTexts(), ['MEMBER', 'console link']);
  assert.equal(await page.getByRole('switch').count(), 0);
  assert.deepEqual(await page.evaluate(() => ({ ...localStorage })), {});
  await signOut(page);
});

test('an expired console link is refused with a clear message and stays on sign-in', async () => {
  const link = okData(await gql(CREATE_LINK, { input: { role: 'ADMIN', expiresIn: 60 } })).createConsoleLink;
  testClock().advance(61_000);
  await page.goto(`${origin}/#link=${encodeURIComponent(tokenOf(link.url))}`);
  await page.getByRole('alert').filter({ hasText: 'invalid, expired or revoked' }).waitFor();
  await page.getByLabel('API key').waitFor();
  assert.equal(page.url(), `${origin}/`);
  assert.deepEqual(await page.evaluate(() => ({ ...sessionStorage })), {});
  await screenshot(page, 'sign-in-refused');
  assert.deepEqual(browser.blocked, []);
});
