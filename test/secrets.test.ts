// Secret handling: a webhook's signing secret is shown once (by createWebhook
// and rotateWebhookSecret), is readable through no query, and is stored only
// encrypted; an API key is shown once and stored only as a hash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { ROTATE, createApiKey, createWebhook, okData, payloadOk } from './helpers/webhooks.js';

const ENCRYPTION_KEY = randomBytes(32);

let app: TestApp;
let gql: Gql;
let webhookId: string;
/** Every secret and key the API has handed out in this file. */
const secrets: string[] = [];
let apiKey: string;
let apiKeyId: string;

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false', SECRET_ENCRYPTION_KEY: ENCRYPTION_KEY.toString('hex') });
  gql = client(app.url, BOOTSTRAP_KEY);
  const created = await createWebhook(gql, { name: 'Secret keeper', events: ['*'], properties: { note: 'no secrets here' } });
  webhookId = created.webhook.id;
  secrets.push(created.secret);
  const rotated = payloadOk(await gql(ROTATE, { id: webhookId }), 'rotateWebhookSecret');
  secrets.push(rotated.secret);
  const other = await createWebhook(gql, { name: 'Second secret' });
  secrets.push(other.secret);
  ({
    key: apiKey,
    apiKey: { id: apiKeyId },
  } = await createApiKey(gql, { name: 'hashed key', application: 'app' }));
});
after(() => app.stop());

/** The strings that must never appear: each secret whole and its base64 body, and the API key. */
function needles(): string[] {
  return [...secrets.flatMap((s) => [s, s.slice('whsec_'.length)]), apiKey];
}

test('secrets are in Standard Webhooks format: whsec_ and base64 of at least 24 random bytes, all different', () => {
  assert.equal(secrets.length, 3);
  for (const s of secrets) {
    assert.match(s, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
    assert.ok(Buffer.from(s.slice(6), 'base64').length >= 24);
  }
  assert.equal(new Set(secrets).size, secrets.length);
});

interface IntrospectedField {
  name: string;
  args: { type: { kind: string } }[];
  type: { kind: string; name: string | null; ofType: any };
}

const unwrap = (t: any): { kind: string; name: string } => (t.ofType ? unwrap(t.ofType) : t);

test('no type in the schema exposes a secret, a key or a hash, except the "shown once" payloads and the defaults\' empty secret', async () => {
  const types = okData(await gql('{ __schema { types { name kind fields { name } } } }')).__schema.types as any[];
  const exposing: string[] = [];
  for (const t of types) {
    if (t.name.startsWith('__') || !t.fields || t.name === 'Mutation') continue;
    for (const f of t.fields) {
      if (/secret|hash|cipher|^key$|apiKeyValue/i.test(f.name)) exposing.push(`${t.name}.${f.name}`);
    }
  }
  // Shown once: a new API key, the first admin's key of an account made with a
  // platform key, a webhook's secret on create and rotation. WebhookDefaults
  // carries SuperOffice's CreateDefaultWebhook shape, whose secret is always null.
  assert.deepEqual(exposing.sort(), [
    'CreateAccountPayload.key',
    'CreateApiKeyPayload.key',
    'WebhookDefaults.secret',
    'WebhookSecretPayload.secret',
  ]);
  assert.equal(okData(await gql('{ webhookDefaults { secret } }')).webhookDefaults.secret, null);
  // And only createWebhook and rotateWebhookSecret return WebhookSecretPayload.
  const mutation = okData(await gql('{ __type(name: "Mutation") { fields { name type { ofType { name } } } } }')).__type.fields as any[];
  assert.deepEqual(
    mutation
      .filter((f) => f.type.ofType?.name === 'WebhookSecretPayload')
      .map((f) => f.name)
      .sort(),
    ['createWebhook', 'rotateWebhookSecret'],
  );
});

/** Selections for every field of `typeName` without required arguments, `depth` levels deep. */
async function fieldSelections(typeName: string, depth: number): Promise<string[]> {
  const res = okData(
    await gql(
      `query($n: String!) { __type(name: $n) { fields { name args { type { kind } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`,
      { n: typeName },
    ),
  );
  const parts: string[] = [];
  for (const f of res.__type.fields as IntrospectedField[]) {
    if (f.args.some((a) => a.type.kind === 'NON_NULL')) continue;
    const base = unwrap(f.type);
    if (base.kind === 'SCALAR' || base.kind === 'ENUM') parts.push(f.name);
    else if (base.kind === 'OBJECT' && depth > 1) parts.push(`${f.name} { ${(await fieldSelections(base.name, depth - 1)).join(' ')} }`);
  }
  return parts.length ? parts : ['__typename'];
}

test('no query returns a secret or key: every field of every webhook, key, associate and event', async () => {
  // Webhook fields are asked for a few at a time, to stay under the query cost
  // limit. Page sizes are variables: graphql-armor multiplies the cost of a
  // literal `first: 100` by 100 (see the final report).
  const webhookParts = await fieldSelections('Webhook', 3);
  const scalars = webhookParts.filter((p) => !p.includes('{')).join(' ');
  const groups = [scalars, ...webhookParts.filter((p) => p.includes('{'))];
  const listGroups = [scalars, ...(await fieldSelections('Webhook', 2)).filter((p) => p.includes('{'))];
  const queries = [
    ...groups.map((g) => `query($id: ID!) { webhook(id: $id) { ${g} } }`),
    ...listGroups.map((g) => `query($n: Int) { webhooks(first: $n) { edges { node { ${g} } } } }`),
    `query($n: Int) { webhooksPage(limit: $n) { items { ${scalars} } } }`,
    `{ apiKeys { ${(await fieldSelections('ApiKey', 2)).join(' ')} } }`,
    `{ associates { ${(await fieldSelections('Associate', 1)).join(' ')} } viewer { ${(await fieldSelections('Associate', 1)).join(' ')} } }`,
    `{ webhookDefaults { ${(await fieldSelections('WebhookDefaults', 1)).join(' ')} } }`,
    `query($n: Int) { events(first: $n) { edges { node { ${(await fieldSelections('Event', 2)).join(' ')} } } } }`,
  ];
  const responses: unknown[] = [];
  for (const q of queries) {
    const vars: Record<string, unknown> = {};
    if (q.includes('$id')) vars.id = webhookId;
    if (q.includes('$n')) vars.n = 100;
    responses.push(okData(await gql(q, vars)));
  }
  const text = JSON.stringify(responses);
  assert.ok(text.includes(webhookId) && text.includes(apiKeyId), 'the queries did return the webhook and the key');
  assert.ok(text.includes('"webhook.created"'), 'events about the webhooks were returned');
  for (const n of needles()) assert.ok(!text.includes(n), `a query exposed ${n.slice(0, 12)}…`);
});

test('the database holds the webhook secret only encrypted with SECRET_ENCRYPTION_KEY (AES-256-GCM)', async () => {
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const row = await prisma.webhook.findUniqueOrThrow({ where: { id: webhookId } });
  // Decrypt independently of the service's code: "v1.<iv>.<tag>.<ciphertext>".
  const open = (sealed: string) => {
    const [v, iv, tag, data] = sealed.split('.');
    assert.equal(v, 'v1');
    const d = createDecipheriv('aes-256-gcm', ENCRYPTION_KEY, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
  };
  assert.equal(open(row.secretCiphertext), secrets[1]);
  assert.equal(open(row.previousSecretCiphertext!), secrets[0], 'the rotated-out secret is kept encrypted for the grace period');
  // A different key cannot open it (GCM authenticates).
  const [, iv, tag, data] = row.secretCiphertext.split('.');
  const wrong = createDecipheriv('aes-256-gcm', randomBytes(32), Buffer.from(iv, 'base64'));
  wrong.setAuthTag(Buffer.from(tag, 'base64'));
  wrong.update(Buffer.from(data, 'base64'));
  assert.throws(() => wrong.final());
});

test('the API key is stored only as its SHA-256 hash', async () => {
  const { prisma } = (await import('./helpers/app.js')).testDb();
  const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: apiKeyId } });
  assert.equal(row.keyHash, createHash('sha256').update(apiKey).digest('hex'));
  assert.equal(row.lastFour, apiKey.slice(-4));
  assert.ok(!JSON.stringify(row).includes(apiKey));
});

test('no secret or key is in plain text anywhere in the database', async () => {
  const { prisma } = (await import('./helpers/app.js')).testDb();
  // Every row of every table, through Prisma (works on SQLite and PostgreSQL).
  const tables = [
    prisma.account,
    prisma.associate,
    prisma.apiKey,
    prisma.eventType,
    prisma.webhook,
    prisma.webhookEvent,
    prisma.event,
    prisma.delivery,
    prisma.deliveryAttempt,
  ] as unknown as { findMany(): Promise<unknown[]> }[];
  let rows = 0;
  for (const table of tables) {
    const all = await table.findMany();
    rows += all.length;
    const text = JSON.stringify(all);
    for (const n of needles()) assert.ok(!text.includes(n), `a row holds ${n.slice(0, 12)}…`);
  }
  assert.ok(rows > 10);
  // The built-in events about these webhooks and keys were recorded (and hold no secret).
  assert.ok((await prisma.event.count({ where: { type: 'api_key.created' } })) >= 1);
  if (!app.dbPath) return; // PostgreSQL: no file to read; the rows above are the whole database.
  // SQLite: the raw bytes of the database file and its write-ahead log.
  await prisma.$queryRawUnsafe('PRAGMA wal_checkpoint(PASSIVE)');
  const files = [app.dbPath, `${app.dbPath}-wal`].filter((f) => existsSync(f));
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  assert.ok(bytes.length > 0);
  assert.ok(bytes.includes(Buffer.from(webhookId)), 'the file holds the webhook row, so the search below is meaningful');
  for (const n of needles()) {
    assert.ok(!bytes.includes(Buffer.from(n)), `the database file holds ${n.slice(0, 12)}… in plain text`);
  }
  assert.ok(bytes.includes(Buffer.from(createHash('sha256').update(apiKey).digest('hex'))), 'the file holds the key hash');
});
