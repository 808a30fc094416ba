// Query.credential: the kind, role, application and expiry of the credential
// a request was made with. A console link's role (not its maker's) is what a
// client such as the console must offer changes by.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { CREATE_API_KEY, okData } from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;
const CREDENTIAL = `{ credential { kind role application expiresAt } viewer { role } }`;

before(async () => {
  app = await startTestApp();
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(() => app.stop());

test('an API key: API_KEY with its associate role, its application, no expiry', async () => {
  assert.deepEqual(okData(await gql(CREDENTIAL)).credential, { kind: 'API_KEY', role: 'ADMIN', application: null, expiresAt: null });
  const key = okData(await gql(CREATE_API_KEY, { input: { name: 'billing', application: 'Billing' } })).createApiKey.key;
  assert.deepEqual(okData(await client(app.url, key)(CREDENTIAL)).credential, {
    kind: 'API_KEY',
    role: 'ADMIN',
    application: 'Billing',
    expiresAt: null,
  });
});

test("a MEMBER console link made by an admin: CONSOLE_LINK with the link's role and expiry, while viewer is still the admin", async () => {
  const made = okData(
    await gql(
      `mutation { createConsoleLink(input: { role: MEMBER, expiresIn: 600 }) { url consoleLink { expiresAt } userErrors { message } } }`,
    ),
  ).createConsoleLink;
  assert.deepEqual(made.userErrors, []);
  const token = decodeURIComponent(/#link=(.+)$/.exec(made.url)![1]);
  const data = okData(await client(app.url, token)(CREDENTIAL));
  assert.deepEqual(data.credential, { kind: 'CONSOLE_LINK', role: 'MEMBER', application: null, expiresAt: made.consoleLink.expiresAt });
  assert.equal(data.viewer.role, 'ADMIN');
});

test('without a credential: UNAUTHENTICATED', async () => {
  const res = await client(app.url, null)(`{ credential { role } }`);
  assert.equal(res.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
});
