// GraphiQL at /graphql, in a real browser with every request that leaves
// loopback blocked: it loads from Hookline alone under a strict CSP, the Docs
// panel fills without a key, a query with a key in the Headers pane returns
// data, and a deliveryAttempts subscription (GraphiQL's own, over WebSocket,
// with the key in the Headers pane) receives an attempt.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;
let browser: TestBrowser;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  receiver.respond((_req, _i, res) => void res.writeHead(204).end());
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app.stop();
  await receiver.close();
});

/** Replaces the text of a Monaco editor (typing would trigger its auto-closing brackets). */
async function setEditor(page: Page, editor: string, text: string) {
  await page.locator(editor).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** The result pane's text (Monaco renders spaces as no-break spaces). */
async function responseText(page: Page): Promise<string> {
  return ((await page.locator('.graphiql-response').textContent()) ?? '').replace(/\u00a0/g, ' ');
}

test('the GraphiQL page and its assets carry a strict CSP and come from Hookline only', async () => {
  const page = await fetch(app.url, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy') ?? '';
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/) as [string, ...string[]])
      .map(([k, ...v]) => [k, v]),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"], 'no inline or outside script');
  assert.deepEqual(directives.get('connect-src'), ["'self'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  for (const values of directives.values()) {
    assert.ok(!values.some((v) => /^https?:|^\*$|unsafe-eval/.test(v)), `no outside origin or eval in ${csp}`);
  }
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const html = await page.text();
  assert.ok(!/https?:\/\//.test(html), 'the page names no outside URL');
  assert.ok(!/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/.test(html), 'no inline script');
  assert.ok(!html.includes('<your API key>'), 'nothing invalid is pre-filled');
  const js = await fetch(new URL('/graphiql/graphiql.js', app.url), { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
  assert.ok((await js.text()).includes('renderYogaGraphiQL'));
  assert.equal((await fetch(new URL('/graphiql/nothing.js', app.url))).status, 404);
});

test('introspection works with no key, an empty key or a placeholder key', async () => {
  for (const headers of [{}, { 'x-api-key': '' }, { 'x-api-key': '<your API key>' }, { authorization: 'Bearer nonsense' }] as Record<
    string,
    string
  >[]) {
    const res = await client(app.url, null)(`query IntrospectionQuery { __schema { queryType { name } } }`, {}, headers);
    assert.equal(res.status, 200, JSON.stringify(headers));
    assert.equal(res.data.__schema.queryType.name, 'Query');
  }
  // Anything else still needs a valid key, and the message says where it goes.
  const refused = await client(app.url, null)(`{ webhooks { totalCount } }`, {}, { 'x-api-key': '<your API key>' });
  assert.equal(refused.status, 401);
  const anonymous = await client(app.url, null)(`{ webhooks { totalCount } }`);
  assert.match(anonymous.errors![0].message, /x-api-key.*connectionParams.*extensions\.headers/);
});

test('in the browser, offline: Docs fill, a query with a key returns data, a subscription receives an attempt', async () => {
  await createEventType(gql, 'graphiql.test');
  const webhook = await createWebhook(gql, { name: 'GraphiQL hook', targetUrl: receiver.url, events: ['graphiql.test'] });
  const page = await browser.page();
  await page.goto(app.url);

  // The Docs panel fills from introspection sent with the pre-filled (empty) key.
  await page.getByLabel('Show Documentation Explorer').click();
  const docs = page.locator('.graphiql-doc-explorer');
  await docs.getByText('Query', { exact: true }).first().waitFor({ timeout: 20_000 });
  await docs.getByText('Query', { exact: true }).first().click();
  await docs.getByText('webhooks', { exact: true }).first().waitFor();

  // A query with the key in the Headers pane.
  await page.getByText('Headers', { exact: true }).click();
  await setEditor(page, '.monaco-editor[data-uri$="headers.json"]', JSON.stringify({ 'x-api-key': BOOTSTRAP_KEY }));
  await setEditor(page, '.graphiql-query-editor .monaco-editor', '{ webhooks(first: 5) { totalCount nodes { id name } } }');
  await page.locator('.graphiql-execute-button').click();
  await waitUntil(async () => (await responseText(page)).includes('GraphiQL hook'), 'the query result');
  assert.ok(!(await responseText(page)).includes('errors'));

  // GraphiQL's own subscription, over WebSocket, authenticated by the Headers pane.
  await setEditor(
    page,
    '.graphiql-query-editor .monaco-editor',
    `subscription { deliveryAttempts(webhookId: "${webhook.id}") { webhookId status } }`,
  );
  await page.locator('.graphiql-execute-button').click();
  await waitUntil(async () => {
    if ((await responseText(page)).includes(webhook.id)) return true;
    await publish(gql, 'graphiql.test', { n: 1 });
    await new Promise((r) => setTimeout(r, 300));
    return (await responseText(page)).includes(webhook.id);
  }, 'an attempt in the subscription pane');
  const text = await responseText(page);
  assert.ok(text.includes('SUCCEEDED'), text);
  assert.ok(!text.includes('UNAUTHENTICATED'), text);

  assert.deepEqual(browser.blocked, [], 'nothing was requested outside loopback');
  assert.deepEqual(
    browser.pageErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)),
    [],
    'no CSP violation',
  );
  await page.close();
});
