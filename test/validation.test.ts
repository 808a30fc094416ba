// Every bad input comes back as HTTP 200 with a typed userError naming the
// input field: never a 500, a stack trace or a masked "Unexpected error".
// Runs with the default ALLOW_PRIVATE_TARGETS=false.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import {
  CREATE_API_KEY,
  CREATE_EVENT_TYPE,
  CREATE_WEBHOOK,
  DELETE_BY_URL,
  DELETE_WEBHOOK,
  REVOKE_API_KEY,
  ROTATE,
  SET_ACTIVE,
  UPDATE_WEBHOOK,
  assertUserError,
  createWebhook,
  okData,
  refused,
  webhookInput,
} from './helpers/webhooks.js';

let app: TestApp;
let gql: Gql;
let existing: any;

before(async () => {
  app = await startTestApp({ WORKER_ENABLED: 'false' });
  gql = client(app.url, BOOTSTRAP_KEY);
  existing = (await createWebhook(gql, { name: 'Existing Hook', targetUrl: 'https://hooks.example.com/existing' })).webhook;
});
after(() => app.stop());

async function webhookCount(): Promise<number> {
  return okData(await gql('{ webhooks(first: 1) { totalCount } }')).webhooks.totalCount;
}

/** Both createWebhook and updateWebhook refuse `patch` with `code` on `field`. */
async function refusedOnCreateAndUpdate(patch: Record<string, unknown>, code: string, field: string[], message?: RegExp) {
  const before = await webhookCount();
  const created = await gql(CREATE_WEBHOOK, { input: webhookInput(patch) });
  assertUserError(created, 'createWebhook', code, field, message);
  assert.equal(created.data.createWebhook.webhook, null);
  assert.equal(created.data.createWebhook.secret, null);
  assert.equal(await webhookCount(), before, 'a refused create must not create a webhook');
  const updated = await gql(UPDATE_WEBHOOK, { id: existing.id, input: patch });
  assertUserError(updated, 'updateWebhook', code, field, message);
  assert.equal(updated.data.updateWebhook.webhook, null);
}

describe('targetUrl', () => {
  const bad: [string, RegExp][] = [
    ['not a url', /not a valid URL/],
    ['', /not a valid URL/],
    ['hooks.example.com/x', /not a valid URL/],
    ['http://hooks.example.com/x', /https/],
    ['ftp://hooks.example.com/x', /https/],
    ['javascript:alert(1)', /https/],
    ['https://127.0.0.1/', /private or reserved/],
    ['https://127.0.0.1:8443/hook', /private or reserved/],
    ['https://10.0.0.1/', /private or reserved/],
    ['https://172.16.5.4/', /private or reserved/],
    ['https://192.168.1.1/', /private or reserved/],
    ['https://169.254.169.254/latest/meta-data', /private or reserved/],
    ['https://0.0.0.0/', /private or reserved/],
    ['https://[::1]/', /private or reserved/],
    ['https://[::]/', /private or reserved/],
    ['https://[fd00::1]/', /private or reserved/],
    ['https://[fe80::1]/', /private or reserved/],
    ['https://[::ffff:127.0.0.1]/', /private or reserved/],
    ['https://[::ffff:10.0.0.1]/', /private or reserved/],
    // IPv6 forms that carry a private IPv4 address, and site-local (issue 8).
    ['https://[::127.0.0.1]/', /private or reserved/], // IPv4-compatible
    ['https://[::a00:1]/', /private or reserved/], // IPv4-compatible 10.0.0.1
    ['https://[::ffff:0:7f00:1]/', /private or reserved/], // IPv4-translated
    ['https://[64:ff9b:1::7f00:1]/', /private or reserved/], // local-use NAT64
    ['https://[2002:7f00:1::]/', /private or reserved/], // 6to4
    ['https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', /private or reserved/], // Teredo, client 127.0.0.1
    ['https://[fec0::1]/', /private or reserved/], // site-local
    ['https://2130706433/', /private or reserved/], // 127.0.0.1 as one number
    ['https://0x7f.1/', /private or reserved/], // 127.0.0.1 in hex shorthand
    ['https://localhost/', /localhost/],
    ['https://LOCALHOST:8443/x', /localhost/],
    ['https://api.localhost/', /localhost/],
    ['https://localhost./', /localhost/],
    ['https://./', /host/],
    ['https://user:pass@hooks.example.com/', /credentials/],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, /2048/],
  ];
  for (const [url, message] of bad) {
    test(`refuses ${JSON.stringify(url.length > 60 ? `${url.slice(0, 40)}…` : url)}`, async () => {
      await refusedOnCreateAndUpdate({ targetUrl: url }, 'INVALID', ['input', 'targetUrl'], message);
    });
  }

  test('surrounding spaces are trimmed from the stored URL', async () => {
    const { webhook } = await createWebhook(gql, { targetUrl: '  https://hooks.example.com/spaced  ' });
    assert.equal(webhook.targetUrl, 'https://hooks.example.com/spaced');
  });

  test('accepts a public https URL whose host does not resolve (yet)', async () => {
    const { webhook } = await createWebhook(gql, { targetUrl: 'https://hooks.example.com/ok?x=1#frag' });
    assert.equal(webhook.targetUrl, 'https://hooks.example.com/ok?x=1#frag');
    const { webhook: ip } = await createWebhook(gql, { targetUrl: 'https://93.184.216.34/hook' });
    assert.equal(ip.targetUrl, 'https://93.184.216.34/hook');
  });
});

describe('events', () => {
  test('unknown event types', async () => {
    await refusedOnCreateAndUpdate({ events: ['no.such.event'] }, 'INVALID', ['input', 'events'], /no\.such\.event/);
    await refusedOnCreateAndUpdate({ events: ['webhook.created', 'contact.created'] }, 'INVALID', ['input', 'events'], /contact\.created/);
    await refusedOnCreateAndUpdate({ events: ['webhook.ping'] }, 'INVALID', ['input', 'events']);
    // "*" does not make an unknown name next to it acceptable.
    await refusedOnCreateAndUpdate({ events: ['*', 'no.such.event'] }, 'INVALID', ['input', 'events'], /no\.such\.event/);
  });

  test('no events at all', async () => {
    await refusedOnCreateAndUpdate({ events: [] }, 'INVALID', ['input', 'events'], /at least one/);
    await refusedOnCreateAndUpdate({ events: ['', '  '] }, 'INVALID', ['input', 'events'], /at least one/);
  });
});

describe('name', () => {
  test('empty or blank', async () => {
    await refusedOnCreateAndUpdate({ name: '' }, 'INVALID', ['input', 'name'], /empty/);
    await refusedOnCreateAndUpdate({ name: '   ' }, 'INVALID', ['input', 'name'], /empty/);
  });

  test('without a letter or digit', async () => {
    for (const name of ['!!!', '-- __ --', '😀🎉']) {
      await refusedOnCreateAndUpdate({ name }, 'INVALID', ['input', 'name'], /letter or digit/);
    }
  });

  test('over 200 characters; exactly 200 is fine', async () => {
    await refusedOnCreateAndUpdate({ name: 'x'.repeat(201) }, 'INVALID', ['input', 'name'], /200/);
    const { webhook } = await createWebhook(gql, { name: 'y'.repeat(200) });
    assert.equal(webhook.name.length, 200);
    // The limit is on the stored, trimmed name.
    const { webhook: padded } = await createWebhook(gql, { name: `   ${'z'.repeat(200)}   ` });
    assert.equal(padded.name, 'z'.repeat(200));
  });

  test('duplicates, ignoring case and surrounding spaces', async () => {
    for (const name of ['Existing Hook', 'existing hook', 'EXISTING HOOK', '  Existing Hook  ']) {
      const before = await webhookCount();
      assertUserError(
        await gql(CREATE_WEBHOOK, { input: webhookInput({ name }) }),
        'createWebhook',
        'CONFLICT',
        ['input', 'name'],
        /already exists/,
      );
      assert.equal(await webhookCount(), before);
    }
    const other = (await createWebhook(gql, { name: 'Another Hook' })).webhook;
    assertUserError(await gql(UPDATE_WEBHOOK, { id: other.id, input: { name: 'existing HOOK' } }), 'updateWebhook', 'CONFLICT', [
      'input',
      'name',
    ]);
  });

  test('concurrent creates with one name: one wins, the rest get CONFLICT', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => gql(CREATE_WEBHOOK, { input: webhookInput({ name: i % 2 ? 'Race Hook' : 'race hook' }) })),
    );
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    }
    const won = results.filter((r) => r.data.createWebhook.webhook);
    const lost = results.filter((r) => !r.data.createWebhook.webhook);
    assert.equal(won.length, 1);
    for (const r of lost)
      assert.deepEqual(
        r.data.createWebhook.userErrors.map((e: any) => [e.code, e.field]),
        [['CONFLICT', ['input', 'name']]],
      );
  });

  test('surrounding spaces are trimmed', async () => {
    const { webhook } = await createWebhook(gql, { name: '  Trimmed Name  ' });
    assert.equal(webhook.name, 'Trimmed Name');
  });
});

describe('properties', () => {
  for (const value of ['a string', 42, true, [1, 2, 3], []]) {
    test(`refuses non-object properties ${JSON.stringify(value)}`, async () => {
      await refusedOnCreateAndUpdate({ properties: value }, 'INVALID', ['input', 'properties'], /object/);
    });
  }

  test('refuses properties over 16 KiB', async () => {
    await refusedOnCreateAndUpdate({ properties: { big: 'x'.repeat(17 * 1024) } }, 'INVALID', ['input', 'properties']);
  });

  test('refuses too-deep properties, even absurdly deep ones, without crashing', async () => {
    const nested = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    // Written by hand: JSON.stringify itself overflows the stack on such values.
    const post = (mutation: string, input: string) =>
      fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': BOOTSTRAP_KEY },
        body: `{"query":${JSON.stringify(mutation)},"variables":{"id":"${existing.id}","input":${input}}}`,
      }).then(async (r) => ({ status: r.status, ...((await r.json()) as any) }));
    for (const depth of [40, 50_000]) {
      const before = await webhookCount();
      const created = await post(
        CREATE_WEBHOOK,
        `{"name":"Deep ${depth}","targetUrl":"https://hooks.example.com/deep","events":["*"],"properties":${nested(depth)}}`,
      );
      assertUserError(created, 'createWebhook', 'INVALID', ['input', 'properties'], /deep/);
      assert.equal(await webhookCount(), before);
      const updated = await post(UPDATE_WEBHOOK, `{"properties":${nested(depth)}}`);
      assertUserError(updated, 'updateWebhook', 'INVALID', ['input', 'properties'], /deep/);
    }
    // Ordinary nesting is fine.
    const { webhook } = await createWebhook(gql, { properties: { a: { b: { c: [1, [2, [3]]] } } } });
    assert.deepEqual(webhook.properties, { a: { b: { c: [1, [2, [3]]] } } });
  });
});

describe('headers', () => {
  const reserved = [
    'content-type',
    'Content-Type',
    'content-length',
    'host',
    'HOST',
    'user-agent',
    'webhook-id',
    'Webhook-Signature',
    'webhook-timestamp',
    'webhook-anything',
  ];
  for (const name of reserved) {
    test(`refuses the reserved header ${name}`, async () => {
      await refusedOnCreateAndUpdate({ headers: { [name]: 'x' } }, 'INVALID', ['input', 'headers', name], /reserved/);
    });
  }

  test('refuses non-object headers, non-string values, bad names and bad values', async () => {
    await refusedOnCreateAndUpdate({ headers: ['X-A', 'b'] }, 'INVALID', ['input', 'headers'], /object/);
    await refusedOnCreateAndUpdate({ headers: 'X-A: b' }, 'INVALID', ['input', 'headers'], /object/);
    await refusedOnCreateAndUpdate({ headers: { 'X-Num': 1 } }, 'INVALID', ['input', 'headers', 'X-Num'], /string/);
    await refusedOnCreateAndUpdate(
      { headers: { 'Bad Name': 'x' } },
      'INVALID',
      ['input', 'headers', 'Bad Name'],
      /not a valid header name/,
    );
    await refusedOnCreateAndUpdate({ headers: { 'X-Inject': 'a\r\nHost: evil' } }, 'INVALID', ['input', 'headers', 'X-Inject']);
  });

  test('ordinary custom headers are accepted (a credential comes back masked)', async () => {
    const { webhook } = await createWebhook(gql, { headers: { Authorization: 'Bearer abc', 'X-Webhook-Source': 'crm' } });
    assert.deepEqual(webhook.headers, { Authorization: '********', 'X-Webhook-Source': 'crm' });
  });

  // What the HTTP client refuses at delivery time is refused at save time,
  // not saved to fail every delivery and count towards auto-disable.
  for (const [name, value] of [
    ['Expect', '100-continue'],
    ['Upgrade', 'websocket'],
    ['Keep-Alive', 'timeout=5'],
    ['Connection', 'close'],
    ['TE', 'trailers'],
    ['Proxy-Authorization', 'Basic x'],
  ]) {
    test(`refuses the hop-by-hop header ${name}`, async () => {
      await refusedOnCreateAndUpdate({ headers: { [name]: value } }, 'INVALID', ['input', 'headers', name], /reserved/);
    });
  }
  for (const [what, value] of [
    ['an emoji', 'launch 🚀'],
    ['\\x01', 'a\x01b'],
    ['\\x7f', 'a\x7fb'],
  ]) {
    test(`refuses a value with ${what}`, async () => {
      await refusedOnCreateAndUpdate({ headers: { 'X-Value': value } }, 'INVALID', ['input', 'headers', 'X-Value'], /invalid value/);
    });
  }
});

describe('several bad fields at once', () => {
  test('every bad field is reported', async () => {
    const res = await gql(CREATE_WEBHOOK, {
      input: { name: '', targetUrl: 'http://x.example.com', events: [], properties: 3, headers: { host: 'x' } },
    });
    const fields = refused(res, 'createWebhook')
      .map((e) => e.field!.slice(0, 2).join('.'))
      .sort();
    assert.deepEqual(fields, ['input.events', 'input.headers', 'input.name', 'input.properties', 'input.targetUrl']);
  });
});

describe('unknown ids are NOT_FOUND', () => {
  const missing = 'missing00000000000000000';
  test('webhook mutations', async () => {
    assertUserError(await gql(UPDATE_WEBHOOK, { id: missing, input: { name: 'x1' } }), 'updateWebhook', 'NOT_FOUND', ['id']);
    assertUserError(await gql(SET_ACTIVE, { id: missing, active: false }), 'setWebhookActive', 'NOT_FOUND', ['id']);
    assertUserError(await gql(DELETE_WEBHOOK, { id: missing }), 'deleteWebhook', 'NOT_FOUND', ['id']);
    assertUserError(await gql(ROTATE, { id: missing }), 'rotateWebhookSecret', 'NOT_FOUND', ['id']);
    assertUserError(await gql(UPDATE_WEBHOOK, { id: '', input: {} }), 'updateWebhook', 'NOT_FOUND', ['id']);
  });

  test('owner and associate ids', async () => {
    for (const ownerId of [missing, '']) {
      const before = await webhookCount();
      assertUserError(await gql(CREATE_WEBHOOK, { input: webhookInput({ ownerId }) }), 'createWebhook', 'NOT_FOUND', ['input', 'ownerId']);
      assert.equal(await webhookCount(), before);
      assertUserError(await gql(UPDATE_WEBHOOK, { id: existing.id, input: { ownerId } }), 'updateWebhook', 'NOT_FOUND', [
        'input',
        'ownerId',
      ]);
    }
    assertUserError(await gql(CREATE_API_KEY, { input: { name: 'k', associateId: missing } }), 'createApiKey', 'NOT_FOUND', [
      'input',
      'associateId',
    ]);
    assertUserError(await gql(REVOKE_API_KEY, { id: missing }), 'revokeApiKey', 'NOT_FOUND', ['id']);
  });
});

describe('concurrent duplicates elsewhere', () => {
  /** Runs `n` copies of a mutation at once: exactly one succeeds, the rest get CONFLICT on `field`. */
  async function oneWins(doc: string, mutation: string, vars: () => Record<string, unknown>, field: string[]) {
    const results = await Promise.all(Array.from({ length: 6 }, () => gql(doc, vars())));
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    }
    const errors = results.map((r) => r.data[mutation].userErrors);
    assert.equal(errors.filter((e) => e.length === 0).length, 1, JSON.stringify(errors));
    for (const e of errors.filter((x) => x.length))
      assert.deepEqual(
        e.map((x: any) => [x.code, x.field]),
        [['CONFLICT', field]],
      );
  }

  test('createAssociate with one email', async () => {
    await oneWins(
      'mutation($input: CreateAssociateInput!) { createAssociate(input: $input) { associate { id } userErrors { field message code } } }',
      'createAssociate',
      () => ({ input: { name: 'Racer', email: 'racer@example.com', role: 'MEMBER' } }),
      ['input', 'email'],
    );
  });

  test('createEventType with one name', async () => {
    await oneWins(CREATE_EVENT_TYPE, 'createEventType', () => ({ input: { name: 'race.started', group: 'Races' } }), ['input', 'name']);
  });
});

describe('other inputs', () => {
  test('deleteWebhooksByUrl with an empty URL', async () => {
    assertUserError(await gql(DELETE_BY_URL, { url: '' }), 'deleteWebhooksByUrl', 'INVALID', ['url']);
  });

  test('createApiKey with a blank or over-long name or application', async () => {
    assertUserError(await gql(CREATE_API_KEY, { input: { name: '  ' } }), 'createApiKey', 'INVALID', ['input', 'name']);
    assertUserError(await gql(CREATE_API_KEY, { input: { name: 'k'.repeat(201) } }), 'createApiKey', 'INVALID', ['input', 'name']);
    assertUserError(await gql(CREATE_API_KEY, { input: { name: 'k', application: 'a'.repeat(201) } }), 'createApiKey', 'INVALID', [
      'input',
      'application',
    ]);
  });

  test('createEventType with a bad name, group or description', async () => {
    // Letters, digits, ".", "_", "-" and ":", 1 to 100 characters (CITA_CREATED and contact_created are fine).
    for (const name of ['', 'has space.x', 'a/b', 'wild*', 'ñandú', `a.${'b'.repeat(99)}`]) {
      assertUserError(await gql(CREATE_EVENT_TYPE, { input: { name, group: 'G' } }), 'createEventType', 'INVALID', ['input', 'name']);
    }
    assertUserError(await gql(CREATE_EVENT_TYPE, { input: { name: 'ok.name', group: ' ' } }), 'createEventType', 'INVALID', [
      'input',
      'group',
    ]);
    assertUserError(
      await gql(CREATE_EVENT_TYPE, { input: { name: 'ok.name', group: 'G', description: 'd'.repeat(501) } }),
      'createEventType',
      'INVALID',
      ['input', 'description'],
    );
    assert.ok(!okData(await gql('{ eventTypes { name } }')).eventTypes.some((t: any) => t.name === 'ok.name'));
  });
});
