// The README is what users copy from, so check it against the real thing:
// every GraphQL example validates against the live schema and runs cleanly
// against a real server, and the configuration table lists exactly the
// variables src/base/config.ts reads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse, validate, Kind, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Fenced blocks of one language, with their position in the README. */
function blocks(lang: string): { text: string; index: number }[] {
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  return [...readme.matchAll(re)].map((m) => ({ text: m[1], index: m.index! }));
}

interface Example {
  name: string;
  query: string;
  /** The ```json block right after it, if any: its variables. */
  variables?: Record<string, unknown>;
}

function examples(): Example[] {
  const json = blocks('json');
  const gql = blocks('graphql');
  return gql.map((b, i) => {
    const doc = parse(b.text);
    const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    assert.ok(op, `README GraphQL block with no operation in it:\n${b.text}`);
    const nextGql = gql[i + 1]?.index ?? Infinity;
    const vars = json.find((j) => j.index > b.index && j.index < nextGql && /^\s*\{\s*"input"/.test(j.text));
    return { name: op.name?.value ?? `anonymous #${i + 1}`, query: b.text, variables: vars ? JSON.parse(vars.text) : undefined };
  });
}

let app: TestApp;
let schema: GraphQLSchema;
let gql: Gql;
before(async () => {
  // Retries far apart: the example webhook's first failed attempt (its URL does not resolve here)
  // leaves its delivery PENDING throughout, so DeliveryLog's failedCount is 0 however fast the attempts run.
  app = await startTestApp({ RETRY_SCHEDULE: '600,600' });
  ({ schema } = await import('../src/schema/index.js'));
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(() => app.stop());

test('every README GraphQL example is valid against the schema', () => {
  const all = examples();
  assert.ok(all.length > 0);
  for (const ex of all) {
    const errors = validate(schema, parse(ex.query));
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
      `README example ${ex.name} does not validate`,
    );
  }
});

test('the README has an example of each main query and mutation', () => {
  const documented = new Set<string>();
  for (const ex of examples()) {
    const op = parse(ex.query).definitions[0] as OperationDefinitionNode;
    for (const sel of op.selectionSet.selections) if (sel.kind === Kind.FIELD) documented.add(`${op.operation}.${sel.name.value}`);
  }
  const main = [
    'query.viewer',
    'query.webhooks',
    'query.webhooksPage',
    'query.webhook',
    'query.webhookDefaults',
    'query.eventTypes',
    'query.associates',
    'query.apiKeys',
    'mutation.createWebhook',
    'mutation.updateWebhook',
    'mutation.setWebhookActive',
    'mutation.deleteWebhook',
    'mutation.deleteWebhooksByUrl',
    'mutation.rotateWebhookSecret',
    'mutation.createApiKey',
    'mutation.revokeApiKey',
    'mutation.createAssociate',
    'mutation.createEventType',
    'query.deliveries',
    'query.deliveryAttempts',
    'subscription.deliveryAttempts',
    'subscription.deliveryUpdated',
    'mutation.retryDeliveries',
    'mutation.replayEvents',
    'mutation.cancelBulkOperation',
    'query.bulkOperation',
    'query.bulkOperations',
    'subscription.bulkOperationUpdated',
    'query.deliveryHealth',
    'query.previewRouting',
    'mutation.updateEventType',
    'mutation.deleteEventType',
    'mutation.sendExampleEvent',
  ];
  assert.deepEqual(
    main.filter((f) => !documented.has(f)),
    [],
    'main operations without a README example',
  );
});

test('the README GraphQL examples run against a real server without errors', async () => {
  const byName = new Map(examples().map((e) => [e.name, e]));
  const ids: Record<string, string> = {};
  async function run(name: string, variables?: Record<string, unknown>, edit: (query: string) => string = (q) => q) {
    const ex = byName.get(name);
    assert.ok(ex, `README has no example named ${name}`);
    const res = await gql(edit(ex.query), variables ?? ex.variables);
    assert.equal(res.status, 200, `${name}: HTTP ${res.status} ${JSON.stringify(res.errors)}`);
    assert.equal(res.errors, undefined, `${name}: ${JSON.stringify(res.errors)}`);
    for (const [field, payload] of Object.entries(res.data as Record<string, any>)) {
      if (payload && typeof payload === 'object' && 'userErrors' in payload) {
        assert.deepEqual(payload.userErrors, [], `${name}: ${field} returned userErrors`);
      }
    }
    return res.data as any;
  }

  const created = await run('CreateWebhook');
  ids.webhook = created.createWebhook.webhook.id;
  assert.match(created.createWebhook.secret, /^whsec_/);
  assert.deepEqual(created.createWebhook.webhook.headers, { Authorization: '********', 'X-Tenant': 'acme' });
  assert.deepEqual(created.createWebhook.webhook.sensitiveHeaders, ['Authorization']);
  await run('CreateEventType');
  await run('CreateAssociate');
  const key = await run('CreateApiKey');
  ids.apiKey = key.createApiKey.apiKey.id;
  assert.match(key.createApiKey.key, /^hk_/);

  // Routing and event type schemas.
  await gql('mutation { createEventType(input: { name: "invoice.paid", group: "Invoices" }) { userErrors { message } } }');
  const routed = await run('RoutedWebhook');
  ids.routed = routed.createWebhook.webhook.id;
  assert.deepEqual(routed.createWebhook.webhook.channels, ['eu']);
  const preview = (await run('PreviewRouting')).previewRouting;
  assert.equal(preview.deliveryCount, 0);
  const routedDecision = preview.decisions.find((d: any) => d.webhook.name === 'EU invoices over 100');
  assert.deepEqual(
    routedDecision.misses.map((m: any) => [m.reason, m.message, m.path]),
    [
      ['CHANNEL', 'it listens on channels "eu"; the event is on "us"', null],
      ['FILTER', 'total is 40; it must be > 100', ['total', '$gt']],
    ],
    'the README shows what previewRouting answers',
  );
  const orderSync = preview.decisions.find((d: any) => d.webhook.name === 'Order sync');
  assert.deepEqual(
    orderSync.misses.map((m: any) => m.message),
    ['it subscribes to "webhook.created", "webhook.deleted", not to "invoice.paid"'],
  );
  assert.equal((await run('PublishOnChannel')).publishEvent.deliveryCount, 1);
  const cita = (await run('CreateEventTypeWithSchema')).createEventType.eventType;
  assert.equal(cita.name, 'CITA_CREATED');
  const refused = await gql(
    'mutation { publishEvent(input: { type: "CITA_CREATED", payload: { id: 1, startsAt: "2026-12-01T09:30:00Z", patient: { email: "nope" } } }) { userErrors { field message } } }',
  );
  assert.deepEqual(refused.data.publishEvent.userErrors, [
    {
      field: ['input', 'payload', 'patient', 'email'],
      message: 'payload.patient.email must match format "email" (schema of "CITA_CREATED")',
    },
  ]);
  assert.equal((await run('UpdateEventType', { id: cita.id })).updateEventType.eventType.description, 'An appointment was booked online');
  assert.equal((await run('SendExampleEvent', { webhookId: ids.routed })).sendExampleEvent.event.type, 'CITA_CREATED');
  assert.equal((await run('PingWithExample', { id: ids.routed })).pingWebhook.attempt.trigger, 'PING');
  const spareType = await gql('mutation { createEventType(input: { name: "spare.type", group: "Spare" }) { eventType { id } } }');
  const spareTypeId = spareType.data.createEventType.eventType.id;
  assert.equal((await run('DeleteEventType', { id: spareTypeId })).deleteEventType.deletedEventTypeId, spareTypeId);

  assert.equal((await run('Viewer')).viewer.role, 'ADMIN');
  // The curl -u example of Authenticate: HTTP Basic, the key as the password.
  const basic = await client(app.url, null)(byName.get('Viewer')!.query, undefined, {
    authorization: `Basic ${Buffer.from(`me:${BOOTSTRAP_KEY}`).toString('base64')}`,
  });
  assert.equal(basic.data.viewer.role, 'ADMIN');
  assert.ok((await run('Webhooks')).webhooks.totalCount >= 1, 'the Webhooks example finds the created webhook');
  await run('WebhooksPage');
  assert.equal((await run('Webhook', { id: ids.webhook })).webhook.id, ids.webhook);
  const defaults = (await run('WebhookDefaults')).webhookDefaults;
  assert.deepEqual([defaults.name, defaults.targetUrl, defaults.secret, defaults.type], ['', '', null, 'webhook']);
  assert.deepEqual([defaults.timeoutMs, defaults.maxConcurrency, defaults.rateLimit, defaults.ordered], [15_000, 8, null, false]);
  assert.ok((await run('EventTypes')).eventTypes.length > 0);
  await run('Associates');
  await run('ApiKeys');
  // The delivery log (what it holds depends on the built-in events' deliveries by now).
  const log = await run('ServerErrorsToday');
  assert.equal(log.deliveryAttempts.totalCountIsLowerBound, false);
  assert.ok(Array.isArray((await run('FailedDeliveries')).deliveries.nodes));
  const perWebhook = await run('DeliveryLog', undefined, (q) => q.replace('"…"', JSON.stringify(ids.webhook)));
  assert.ok(Array.isArray(perWebhook.webhook.deliveryAttempts.nodes));

  // Bulk operations and health over time.
  const retried = await run('RetryFailed');
  assert.equal(retried.retryDeliveries.bulkOperation.kind, 'RETRY_DELIVERIES');
  const replayed = await run('ReplayIntoWebhook', { webhookId: ids.webhook });
  assert.equal(replayed.replayEvents.bulkOperation.webhookId, ids.webhook);
  const progress = await run('BulkOperationProgress', { id: replayed.replayEvents.bulkOperation.id });
  assert.equal(progress.bulkOperation.id, replayed.replayEvents.bulkOperation.id);
  assert.ok(progress.bulkOperations.nodes.length >= 2);
  const pending = await gql('mutation { replayEvents(filter: {}, webhookId: "' + ids.webhook + '") { bulkOperation { id } } }');
  const cancelled = await gql(byName.get('CancelBulk')!.query, { id: pending.data.replayEvents.bulkOperation.id });
  assert.equal(cancelled.errors, undefined);
  // Cancelled, or (if it was quick) already over: a typed refusal.
  const c = cancelled.data.cancelBulkOperation;
  assert.ok(c.bulkOperation?.status === 'CANCELLED' || c.userErrors[0]?.code === 'INVALID', JSON.stringify(c));
  assert.equal((await run('WebhookHealth', { id: ids.webhook })).webhook.health.buckets.length, 288);
  assert.equal((await run('AccountHealth')).deliveryHealth.buckets.length, 168);

  await run('UpdateWebhook', { id: ids.webhook });
  const put = await run('PutWebhook', { id: ids.webhook });
  assert.equal(put.updateWebhook.webhook.isActive, false);
  assert.equal(put.updateWebhook.webhook.state, 'STOPPED');
  const policy = await run('DeliveryPolicy', { id: ids.webhook });
  assert.deepEqual(policy.updateWebhook.webhook.retrySchedule, [10, 60, 600]);
  assert.equal(policy.updateWebhook.webhook.circuit.state, 'CLOSED');
  assert.equal(policy.updateWebhook.webhook.ordered, true);
  const headers = await run('UpdateWebhookHeaders', { id: ids.webhook, headers: { Authorization: '********', 'X-Tenant': 'globex' } });
  assert.deepEqual(headers.updateWebhook.webhook.headers, { Authorization: '********', 'X-Tenant': 'globex' });
  assert.equal((await run('SetWebhookActive', { id: ids.webhook })).setWebhookActive.webhook.state, 'STOPPED');
  assert.match((await run('RotateWebhookSecret', { id: ids.webhook })).rotateWebhookSecret.secret, /^whsec_/);
  assert.equal((await run('RotateToOwnSecret', { id: ids.webhook })).rotateWebhookSecret.secret, 'my-shared-secret-from-the-crm-0042');
  assert.equal((await run('RevokeApiKey', { id: ids.apiKey })).revokeApiKey.apiKey.revoked, true);
  assert.deepEqual((await run('DeleteWebhooksByUrl')).deleteWebhooksByUrl.deletedWebhookIds, [ids.webhook]);

  const spare = await gql(
    'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { message } } }',
    { input: { name: 'Spare', targetUrl: 'https://example.com/spare', events: ['*'] } },
  );
  assert.deepEqual(spare.data.createWebhook.userErrors, []);
  const spareId = spare.data.createWebhook.webhook.id;
  const deleted = (await run('DeleteWebhook', { id: spareId })).deleteWebhook;
  assert.equal(deleted.deletedWebhookId, spareId);
  assert.equal(deleted.success, true);
});

test('the README examples of the seed behaviours (accounts, associates, invites, Relay) run against a real server', async () => {
  const byName = new Map(examples().map((e) => [e.name, e]));
  async function run(name: string, variables?: Record<string, unknown>, key = BOOTSTRAP_KEY) {
    const ex = byName.get(name);
    assert.ok(ex, `README has no example named ${name}`);
    const res = await client(app.url, key)(ex.query, variables ?? ex.variables);
    assert.equal(res.status, 200, `${name}: HTTP ${res.status} ${JSON.stringify(res.errors)}`);
    assert.equal(res.errors, undefined, `${name}: ${JSON.stringify(res.errors)}`);
    for (const [field, payload] of Object.entries(res.data as Record<string, any>)) {
      if (payload && typeof payload === 'object' && 'userErrors' in payload) {
        assert.deepEqual(payload.userErrors, [], `${name}: ${field} returned userErrors`);
      }
    }
    return res.data as any;
  }
  const count = async (type: string) =>
    (await gql(`query($t: String) { events(type: $t, first: 1) { totalCount } }`, { t: type })).data.events.totalCount as number;

  // Associates: promote, then delete with reassignTo.
  const make = async (email: string) =>
    (
      await gql(`mutation($i: CreateAssociateInput!) { createAssociate(input: $i) { associate { id } } }`, {
        i: { name: email.split('@')[0], email, role: 'MEMBER' },
      })
    ).data.createAssociate.associate.id as string;
  const leaver = await make('leaver@example.com');
  const heir = await make('heir@example.com');
  await gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { userErrors { message } } }`, {
    input: { name: 'Owned by the leaver', targetUrl: 'https://example.com/owned', events: ['*'], ownerId: leaver },
  });
  assert.equal((await run('UpdateAssociate', { id: leaver })).updateAssociate.associate.role, 'ADMIN');
  const gone = (await run('DeleteAssociate', { id: leaver, reassignTo: heir })).deleteAssociate;
  assert.equal(gone.success, true);
  assert.equal(gone.reassignedWebhookIds.length, 1);

  // Accounts: a platform key creates one; its admin reads and renames it.
  const { createPlatformKey } = await import('../src/domain/accounts/platformKeys.js');
  const platform = await createPlatformKey((await import('./helpers/app.js')).testDb().state, 'readme');
  const globex = (await run('CreateAccount', undefined, platform.key)).createAccount;
  assert.equal(globex.account.name, 'globex');
  assert.equal((await run('Account', undefined, globex.key)).account.id, globex.account.id);
  assert.equal((await run('UpdateAccount', undefined, globex.key)).updateAccount.account.name, 'Globex Corporation');

  // Relay: node and nodes take the ids every other field returns.
  const viewer = (await run('Viewer')).viewer;
  assert.deepEqual((await run('Node', { id: viewer.id })).node, {
    __typename: 'Associate',
    id: viewer.id,
    name: viewer.name,
    role: 'ADMIN',
  });
  assert.deepEqual(
    (await run('Nodes', { ids: [heir, 'missing'] })).nodes.map((n: any) => n?.__typename ?? null),
    ['Associate', null],
  );

  // Invites: a console link records invite.created.
  const invites = await count('invite.created');
  await run('ConsoleLink');
  assert.equal(await count('invite.created'), invites + 1);
});

test('the configuration table lists exactly the variables src/base/config.ts declares', async () => {
  // The table is generated from SETTINGS (test/unit/settings-table.test.ts checks it is current);
  // this checks the README a user reads lists every one.
  const { SETTING_NAMES } = await import('../src/base/config.js');
  const read = new Set<string>(SETTING_NAMES);
  assert.ok(read.size >= 20, `found only ${read.size} variables in src/base/config.ts`);

  const section = readme.slice(readme.indexOf('## Configuration'));
  const table = section.slice(0, section.indexOf('\n## ', 5));
  const documented = new Set([...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...read].filter((v) => !documented.has(v)).sort(), [], 'variables missing from the README table');
  assert.deepEqual([...documented].filter((v) => !read.has(v)).sort(), [], 'README table lists variables config.ts does not read');
});

test('the README keeps the sections users and other issues rely on', () => {
  for (const heading of [
    '## Requirements',
    '## Install and start',
    '## Test',
    '## Create an account',
    '## Authenticate',
    '## Errors',
    '## Limits',
    '## Delivering webhooks',
    '## Configuration',
    '## Why Prisma 6',
    '## Architecture',
    '## Project layout',
  ]) {
    assert.ok(readme.includes(`\n${heading}\n`), `README lacks "${heading}"`);
  }
  assert.match(readme, /npm run --silent admin -- create-account/);
  assert.match(readme, /^npm test$/m);
});
