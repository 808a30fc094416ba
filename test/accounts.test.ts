// The account itself: the account query and updateAccount for its admins,
// and createAccount for a platform-level key, so a SaaS provisions tenants
// from its own backend. End to end over HTTP against a real server and
// database (the admin command's side is in cli.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, testDb, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { assertUserError, createApiKey, createAssociate, createWebhook, okData, payloadOk } from './helpers/webhooks.js';

const ACCOUNT = '{ account { id name createdAt } }';
const UPDATE = `mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { account { id name } userErrors { field message code } } }`;
const CREATE = `mutation($input: CreateAccountInput!) {
  createAccount(input: $input) { account { id name createdAt } associate { id name email role } key userErrors { field message code } }
}`;

let app: TestApp;
let gql: Gql;

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(() => app.stop());

async function platformKey(name = 'saas backend') {
  const { createPlatformKey } = await import('../src/domain/accounts/platformKeys.js');
  return createPlatformKey(testDb().state, name);
}

describe('account and updateAccount', () => {
  test("account is the caller's own account", async () => {
    const { prisma } = testDb();
    const row = await prisma.account.findUniqueOrThrow({ where: { name: 'default' } });
    const mine = okData(await gql(ACCOUNT)).account;
    assert.deepEqual(mine, { id: row.id, name: 'default', createdAt: row.createdAt.toISOString() });
    const tenant = await createTenant(`tenant-${Date.now()}`);
    const theirs = okData(await client(app.url, tenant.apiKey)(ACCOUNT)).account;
    assert.equal(theirs.id, tenant.accountId);
    assert.notEqual(theirs.id, mine.id);
  });

  test('an admin renames the account; names stay unique and valid; a MEMBER cannot', async () => {
    const tenant = await createTenant(`rename-me-${Date.now()}`);
    const admin = client(app.url, tenant.apiKey);
    const renamed = payloadOk(await admin(UPDATE, { input: { name: '  Acme Corp  ' } }), 'updateAccount').account;
    assert.deepEqual(renamed, { id: tenant.accountId, name: 'Acme Corp' });
    assert.equal(okData(await admin(ACCOUNT)).account.name, 'Acme Corp');
    // Its own name again is no conflict; another account's is.
    payloadOk(await admin(UPDATE, { input: { name: 'Acme Corp' } }), 'updateAccount');
    const taken = assertUserError(await admin(UPDATE, { input: { name: 'default' } }), 'updateAccount', 'CONFLICT', ['input', 'name']);
    assert.equal(taken.message, 'The account name "default" is taken');
    assertUserError(await admin(UPDATE, { input: { name: '---' } }), 'updateAccount', 'INVALID', ['input', 'name']);
    assertUserError(await admin(UPDATE, { input: { name: 'x'.repeat(101) } }), 'updateAccount', 'INVALID', ['input', 'name']);
    const member = await createAssociate(admin, { name: 'Reader', email: 'reader@example.com', role: 'MEMBER' });
    const asMember = client(app.url, (await createApiKey(admin, { name: 'reader', associateId: member.id })).key);
    assertUserError(await asMember(UPDATE, { input: { name: 'Mine now' } }), 'updateAccount', 'FORBIDDEN', null);
    assert.equal(okData(await asMember(ACCOUNT)).account.name, 'Acme Corp');
    // Nobody else's account changed.
    assert.equal(okData(await gql(ACCOUNT)).account.name, 'default');
  });
});

describe('createAccount with a platform-level key', () => {
  test('creates the account, its first ADMIN and their key, which then works in the new account only', async () => {
    const platform = client(app.url, (await platformKey()).key);
    const made = payloadOk(
      await platform(CREATE, { input: { name: 'Globex', adminName: 'Gina Admin', adminEmail: 'Gina@Globex.example' } }),
      'createAccount',
    );
    assert.equal(made.account.name, 'Globex');
    assert.deepEqual(
      { ...made.associate, id: undefined },
      { id: undefined, name: 'Gina Admin', email: 'gina@globex.example', role: 'ADMIN' },
    );
    assert.match(made.key, /^hk_[A-Za-z0-9]{40}$/);
    const globex = client(app.url, made.key);
    assert.deepEqual(okData(await globex('{ viewer { id role } }')).viewer, { id: made.associate.id, role: 'ADMIN' });
    assert.equal(okData(await globex(ACCOUNT)).account.id, made.account.id);
    // A working tenant: it makes webhooks of its own, which the first account cannot see.
    const { webhook } = await createWebhook(globex);
    assert.equal(okData(await gql(`query($id: ID!) { webhook(id: $id) { id } }`, { id: webhook.id })).webhook, null);
    // Defaults for the admin.
    const plain = payloadOk(await platform(CREATE, { input: { name: 'Initech' } }), 'createAccount');
    assert.deepEqual([plain.associate.name, plain.associate.email], ['Admin', 'admin@initech.invalid']);
  });

  test('refuses taken names and bad input with typed errors, creating nothing', async () => {
    const platform = client(app.url, (await platformKey()).key);
    const { prisma } = testDb();
    const accounts = await prisma.account.count();
    assertUserError(await platform(CREATE, { input: { name: 'default' } }), 'createAccount', 'CONFLICT', ['input', 'name']);
    assertUserError(await platform(CREATE, { input: { name: '!!!' } }), 'createAccount', 'INVALID', ['input', 'name']);
    assertUserError(await platform(CREATE, { input: { name: 'Fine', adminEmail: 'nope' } }), 'createAccount', 'INVALID', [
      'input',
      'adminEmail',
    ]);
    assert.equal(await prisma.account.count(), accounts);
  });

  test('an account key cannot create accounts, and a platform key can do nothing else', async () => {
    assertUserError(await gql(CREATE, { input: { name: 'Sneaky' } }), 'createAccount', 'FORBIDDEN', null, /platform-level key/);
    const platform = client(app.url, (await platformKey()).key);
    for (const query of ['{ viewer { id } }', ACCOUNT, '{ webhooks { totalCount } }']) {
      const res = await platform(query);
      assert.equal(res.status, 403, query);
      assert.equal(res.errors?.[0].extensions?.code, 'FORBIDDEN');
      assert.match(res.errors![0].message, /can only call createAccount/);
    }
  });

  test('a revoked platform key stops working at once; an unknown one is 401', async () => {
    const made = await platformKey('short-lived');
    const platform = client(app.url, made.key);
    payloadOk(await platform(CREATE, { input: { name: `Before revoke ${Date.now()}` } }), 'createAccount');
    const { revokePlatformKey } = await import('../src/domain/accounts/platformKeys.js');
    await revokePlatformKey(testDb().state, made.platformKeyId);
    const res = await platform(CREATE, { input: { name: 'After revoke' } });
    assert.equal(res.status, 401);
    assert.equal(res.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    const unknown = await client(app.url, 'hkp_' + 'x'.repeat(40))(CREATE, { input: { name: 'Nope' } });
    assert.equal(unknown.status, 401);
    // Stored as a hash only.
    const row = await testDb().prisma.platformKey.findUniqueOrThrow({ where: { id: made.platformKeyId } });
    assert.notEqual(row.keyHash, made.key);
    assert.ok(!JSON.stringify(row).includes(made.key.slice(4)));
  });
});
