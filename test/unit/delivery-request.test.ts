// What a delivery request looks like: the JSON body built by concatenation,
// and its signatures, checked against the standardwebhooks package (the
// reference implementation receivers use) and GitHub's documented example.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook, WebhookVerificationError } from 'standardwebhooks';
import { sealHeaders } from '../../src/base/customHeaders.js';
import { generateWebhookSecret, SecretBox } from '../../src/base/secrets.js';
import { buildBody, Sender, type EventForDelivery, type WebhookForDelivery } from '../../src/dispatch/sender.js';
import { githubSignature, standardSignature } from '../../src/dispatch/signing.js';
import type { DeliveryClient } from '../../src/dispatch/http.js';

const AT = new Date('2024-05-01T12:00:00.123Z');
const event = (payload: string | null = '{"orderId":42,"total":"9.99"}'): EventForDelivery => ({
  id: 'evt_abc123',
  type: 'order.created',
  payload,
  createdAt: AT,
});
const hook = (properties: unknown = null) => ({ id: 'wh_1', name: 'Orders', properties: properties as WebhookForDelivery['properties'] });

describe('buildBody', () => {
  test('id, type, timestamp, webhook and data, in that order', () => {
    assert.equal(
      buildBody(event(), hook()),
      '{"id":"evt_abc123","type":"order.created","timestamp":"2024-05-01T12:00:00.123Z","webhook":{"id":"wh_1","name":"Orders"},"data":{"orderId":42,"total":"9.99"}}',
    );
  });

  test('the payload is embedded byte for byte, not re-serialised', () => {
    const payload = '{ "b": 1,\n  "a": [1.50, "\\u00e9"] }';
    const body = buildBody(event(payload), hook());
    assert.ok(body.includes(`"data":${payload}`), body);
    assert.deepEqual(JSON.parse(body).data, JSON.parse(payload));
  });

  test('non-object payloads and a null payload', () => {
    for (const payload of ['[1,2]', '"text"', '0', 'true', 'null'])
      assert.deepEqual(JSON.parse(buildBody(event(payload), hook())).data, JSON.parse(payload), payload);
    const body = buildBody(event(null), hook());
    assert.ok(body.endsWith('"data":null}'), body);
    assert.equal(JSON.parse(body).data, null);
  });

  test('properties are merged at the top level, after data', () => {
    const props = { region: 'eu-west', tier: 2, flags: { beta: true }, tags: ['a', 'b'], off: false, none: null };
    const body = buildBody(event(), hook(props));
    assert.deepEqual(JSON.parse(body), {
      id: 'evt_abc123',
      type: 'order.created',
      timestamp: '2024-05-01T12:00:00.123Z',
      webhook: { id: 'wh_1', name: 'Orders' },
      data: { orderId: 42, total: '9.99' },
      ...props,
    });
    assert.ok(body.indexOf('"region"') > body.indexOf('"data"'));
  });

  test('reserved keys in properties are ignored, never duplicated or overriding', () => {
    const props = { id: 'forged', type: 'forged', timestamp: 'forged', webhook: { id: 'forged' }, data: 'forged', kept: 1 };
    const body = buildBody(event(), hook(props));
    const parsed = JSON.parse(body);
    assert.equal(parsed.id, 'evt_abc123');
    assert.equal(parsed.type, 'order.created');
    assert.equal(parsed.timestamp, '2024-05-01T12:00:00.123Z');
    assert.deepEqual(parsed.webhook, { id: 'wh_1', name: 'Orders' });
    assert.deepEqual(parsed.data, { orderId: 42, total: '9.99' });
    assert.equal(parsed.kept, 1);
    assert.doesNotMatch(body, /forged/);
  });

  test('undefined property values are left out; odd keys and names are escaped', () => {
    const body = buildBody(event(), {
      id: 'wh_"1"',
      name: 'Ünïcode "quoted" \\ \n ☕',
      properties: { skip: undefined, 'we"ird\nkey': '</script>' } as never,
    });
    const parsed = JSON.parse(body);
    assert.equal('skip' in parsed, false);
    assert.equal(parsed['we"ird\nkey'], '</script>');
    assert.deepEqual(parsed.webhook, { id: 'wh_"1"', name: 'Ünïcode "quoted" \\ \n ☕' });
  });

  test('no properties: null, an empty object, or not an object', () => {
    const plain = buildBody(event(), hook());
    assert.equal(buildBody(event(), hook({})), plain);
    assert.equal(buildBody(event(), hook('a string')), plain);
    assert.equal(buildBody(event(), hook(7)), plain);
  });
});

describe('standardSignature', () => {
  const secret = generateWebhookSecret();
  const now = Math.floor(Date.now() / 1000);
  const verify = (s: string, id: string, ts: number, body: string, signature: string) =>
    new StandardWebhook(s).verify(
      body,
      { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature },
      { jsonParse: false },
    );

  test('matches the reference implementation, byte for byte', () => {
    for (const body of ['', '{}', buildBody(event(), hook({ tier: 2 })), '{"text":"héllo ☕ 😀 \\u0000"}', 'x'.repeat(100_000)]) {
      assert.equal(standardSignature([secret], 'msg_1', now, body), new StandardWebhook(secret).sign('msg_1', new Date(now * 1000), body));
    }
  });

  test('the reference implementation verifies it; any change to id, timestamp, body or secret breaks it', () => {
    const body = buildBody(event(), hook());
    const sig = standardSignature([secret], 'msg_1', now, body);
    assert.match(sig, /^v1,[A-Za-z0-9+/]{43}=$/);
    verify(secret, 'msg_1', now, body, sig);
    assert.throws(() => verify(secret, 'msg_1', now, body + ' ', sig), WebhookVerificationError);
    assert.throws(() => verify(secret, 'msg_2', now, body, sig), WebhookVerificationError);
    assert.throws(() => verify(secret, 'msg_1', now - 1, body, sig), WebhookVerificationError);
    assert.throws(() => verify(generateWebhookSecret(), 'msg_1', now, body, sig), WebhookVerificationError);
  });

  test('the key is the base64 after "whsec_"; any other secret (a caller\'s own) is its own bytes', () => {
    assert.equal(standardSignature([secret], 'm', now, '{}'), new StandardWebhook(secret).sign('m', new Date(now * 1000), '{}'));
    // Only "whsec_" marks base64: a shared secret of the caller's, which
    // may hold any visible ASCII, is keyed with its own bytes (the
    // reference implementation's raw format).
    const shared = 'a-shared-secret-of-my-own-000001';
    assert.equal(
      standardSignature([shared], 'm', now, '{}'),
      new StandardWebhook(shared, { format: 'raw' }).sign('m', new Date(now * 1000), '{}'),
    );
    const bare = secret.slice('whsec_'.length);
    assert.notEqual(standardSignature([bare], 'm', now, '{}'), standardSignature([secret], 'm', now, '{}'));
  });

  test('several secrets: one "v1,<sig>" each, space-separated, in order; each verifies alone', () => {
    const old = generateWebhookSecret();
    const sig = standardSignature([secret, old], 'msg_1', now, '{"a":1}');
    const parts = sig.split(' ');
    assert.equal(parts.length, 2);
    assert.equal(parts[0], standardSignature([secret], 'msg_1', now, '{"a":1}'));
    assert.equal(parts[1], standardSignature([old], 'msg_1', now, '{"a":1}'));
    verify(secret, 'msg_1', now, '{"a":1}', sig);
    verify(old, 'msg_1', now, '{"a":1}', sig);
    assert.equal(standardSignature([], 'msg_1', now, '{}'), '');
  });
});

describe('githubSignature', () => {
  test("GitHub's documented example", () => {
    // docs.github.com, "Validating webhook deliveries": testing the signature.
    assert.equal(
      githubSignature("It's a Secret to Everybody", 'Hello, World!'),
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  test('RFC 4231 HMAC-SHA256 test case 2', () => {
    assert.equal(
      githubSignature('Jefe', 'what do ya want for nothing?'),
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  test('keyed with the whole secret string, "whsec_" included', () => {
    const secret = generateWebhookSecret();
    assert.notEqual(githubSignature(secret, '{}'), githubSignature(secret.slice(6), '{}'));
    assert.match(githubSignature(secret, '{}'), /^sha256=[0-9a-f]{64}$/);
  });
});

describe('Sender.buildHeaders', () => {
  const box = new SecretBox(randomBytes(32));
  const client = { post: async () => assert.fail('no request expected'), close: async () => {} } as unknown as DeliveryClient;
  const sender = new Sender({ box, client, retryScheduleMs: [1000] });
  const current = generateWebhookSecret();
  const previous = generateWebhookSecret();
  const webhook = (over: Partial<WebhookForDelivery> = {}): WebhookForDelivery => ({
    id: 'wh_1',
    accountId: 'acct_1',
    name: 'Orders',
    targetUrl: 'https://hooks.invalid/in',
    headersCiphertext: sealHeaders(box, {
      'x-custom': 'yes',
      Authorization: 'Bearer s3cret',
      'X-Tenant': 'acme',
      'webhook-signature': 'v1,forged',
      'content-type': 'text/plain',
      'x-hookline-event': 'forged',
    }),
    sensitiveHeaders: ['x-tenant'],
    properties: null,
    secretCiphertext: box.encrypt(current),
    previousSecretCiphertext: null,
    previousSecretExpiresAt: null,
    state: 'ACTIVE',
    retrySchedule: null,
    timeoutMs: null,
    maxConcurrency: null,
    rateLimit: null,
    ordered: false,
    gated: false,
    ...over,
  });
  const verify = (secret: string, body: string, headers: Record<string, string>) => new StandardWebhook(secret).verify(body, headers);

  test('Standard Webhooks headers the reference implementation accepts, plus ours', () => {
    const now = new Date();
    const wh = webhook();
    const body = buildBody(event(), wh);
    const { sent: headers, recorded } = sender.buildHeaders(event(), wh, body, now);
    assert.deepEqual(verify(current, body, headers), JSON.parse(body));
    assert.equal(headers['webhook-id'], 'evt_abc123');
    assert.equal(headers['webhook-timestamp'], String(Math.floor(now.getTime() / 1000)));
    assert.equal(headers['content-type'], 'application/json');
    assert.match(headers['user-agent'], /^Hookline\/\d+\.\d+\.\d+/);
    assert.equal(headers['x-hookline-event'], 'order.created');
    assert.equal(headers['x-hookline-signature-256'], githubSignature(current, body));
    assert.equal(headers['x-custom'], 'yes', 'custom headers are sent');
    assert.equal(headers.Authorization, 'Bearer s3cret', 'sensitive values are sent in clear');
    assert.equal(headers['X-Tenant'], 'acme');
    assert.deepEqual(recorded, { ...headers, Authorization: '********', 'X-Tenant': '********' }, 'and recorded masked, all else as sent');
  });

  test('custom headers are opened once per sealed value: a changed webhook is never sent its old headers', () => {
    const body = buildBody(event(), webhook());
    const first = webhook({ headersCiphertext: sealHeaders(box, { 'X-Version': '1' }) });
    assert.equal(sender.buildHeaders(event(), first, body, new Date()).sent['X-Version'], '1');
    const changed = webhook({ headersCiphertext: sealHeaders(box, { 'X-Version': '2' }) });
    assert.equal(sender.buildHeaders(event(), changed, body, new Date()).sent['X-Version'], '2');
    assert.equal(sender.buildHeaders(event(), webhook({ headersCiphertext: null }), body, new Date()).sent['X-Version'], undefined);
  });

  test('rows the migration left as "plain:<JSON>" are sent as they are', () => {
    const legacy = webhook({ id: 'wh_legacy', headersCiphertext: 'plain:{"Authorization":"Bearer old"}', sensitiveHeaders: [] });
    const { sent, recorded } = sender.buildHeaders(event(), legacy, '{}', new Date());
    assert.equal(sent.Authorization, 'Bearer old');
    assert.equal(recorded.Authorization, '********');
  });

  test('a secret in its grace period signs too; an expired one does not', () => {
    const now = new Date();
    const inGrace = webhook({ previousSecretCiphertext: box.encrypt(previous), previousSecretExpiresAt: new Date(now.getTime() + 60_000) });
    const body = buildBody(event(), inGrace);
    const both = sender.buildHeaders(event(), inGrace, body, now).sent;
    assert.equal(both['webhook-signature'].split(' ').length, 2);
    verify(current, body, both);
    verify(previous, body, both);
    assert.equal(
      both['x-hookline-signature-256'],
      githubSignature(previous, body),
      'the GitHub-style header (one signature) stays with the old secret until the grace period ends',
    );

    const expired = webhook({ previousSecretCiphertext: box.encrypt(previous), previousSecretExpiresAt: now });
    const one = sender.buildHeaders(event(), expired, body, now).sent;
    assert.equal(one['webhook-signature'].split(' ').length, 1);
    verify(current, body, one);
    assert.throws(() => verify(previous, body, one), WebhookVerificationError);
    assert.equal(one['x-hookline-signature-256'], githubSignature(current, body), 'then the new secret signs it');
  });
});
