// Custom headers: what may be saved (the HTTP client's own rules, checked
// against the client itself), which values are masked, and how an update
// keeps masked values.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import {
  HeaderVault,
  isSensitiveHeader,
  maskHeaders,
  MASKED_HEADER_VALUE,
  openHeaders,
  sealHeaders,
  sensitiveHeaderNames,
} from '../../src/base/customHeaders.js';
import { SecretBox } from '../../src/base/secrets.js';
import { resolveHeaders, resolveSensitiveMarks } from '../../src/domain/webhooks/validation.js';

const F = ['input', 'headers'];
const errorsOf = (input: unknown, stored = {}) => {
  const r = resolveHeaders(input, stored, F);
  return r.ok ? [] : r.errors;
};
const fields = (input: unknown) => errorsOf(input).map((e) => e.field!.join('.'));

describe('resolveHeaders: what the HTTP client would refuse is refused when saved', () => {
  const refusedNames = [
    'Expect',
    'Upgrade',
    'Keep-Alive',
    'Connection',
    'TE',
    'Trailer',
    'Transfer-Encoding',
    'Proxy-Authorization',
    'Proxy-Connection',
    'Content-Length',
    'Host',
    'Content-Type',
    'User-Agent',
    'webhook-id',
    'X-Hookline-Event',
  ];
  for (const name of refusedNames) {
    test(`refuses the header ${name}, naming it`, () => {
      const errors = errorsOf({ [name]: 'x' });
      assert.equal(errors.length, 1);
      assert.deepEqual(errors[0].field, [...F, name]);
      assert.equal(errors[0].code, 'INVALID');
      assert.match(errors[0].message, /reserved/);
    });
  }

  const badValues: [string, string][] = [
    ['emoji', 'ok 😀'],
    ['\\x01', 'a\x01b'],
    ['\\x7f', 'a\x7fb'],
    ['NUL', 'a\0b'],
    ['line break', 'a\r\nHost: evil'],
    ['non-Latin-1 letter', 'Ωmega'],
  ];
  for (const [what, value] of badValues) {
    test(`refuses a value with ${what}`, () => {
      assert.deepEqual(fields({ 'X-Value': value }), ['input.headers.X-Value']);
    });
  }

  test('accepts tab, spaces, visible ASCII and Latin-1, and an empty value', () => {
    const input = { 'X-A': 'a\tb c', 'X-B': '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', 'X-C': 'café', 'X-D': '' };
    assert.deepEqual(resolveHeaders(input, {}, F), { ok: true, headers: input });
  });

  test('refuses bad names, repeated names (ignoring case), non-strings and too many headers', () => {
    assert.deepEqual(fields({ 'Bad Name': 'x', 'X-Ü': 'x', '': 'x' }), ['input.headers.Bad Name', 'input.headers.X-Ü', 'input.headers.']);
    assert.deepEqual(fields({ 'X-A': '1', 'x-a': '2' }), ['input.headers.x-a']);
    assert.deepEqual(fields({ 'X-Num': 1 }), ['input.headers.X-Num']);
    assert.deepEqual(fields({ 'X-Long': 'x'.repeat(4097) }), ['input.headers.X-Long']);
    assert.deepEqual(fields(['X-A', 'b']), ['input.headers']);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v']));
    assert.deepEqual(fields(many), ['input.headers']);
  });

  test('every value it accepts, undici sends; every one it refuses for its characters, undici refuses too', async () => {
    const server = createServer((req, res) => res.end(JSON.stringify(req.headers)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const accepted = { 'X-A': 'a\tb c', 'X-C': 'café', 'X-Api-Key': 'k' };
      assert.ok(resolveHeaders(accepted, {}, F).ok);
      const res = await request(url, { method: 'POST', headers: accepted, body: '{}' });
      assert.equal(res.statusCode, 200);
      await res.body.text();
      for (const [, value] of badValues) {
        assert.equal(resolveHeaders({ 'X-Value': value }, {}, F).ok, false);
        await assert.rejects(
          request(url, { method: 'POST', headers: { 'X-Value': value }, body: '{}' }),
          `undici sent ${JSON.stringify(value)}`,
        );
      }
      for (const name of ['Expect', 'Upgrade', 'Keep-Alive', 'Transfer-Encoding']) {
        await assert.rejects(request(url, { method: 'POST', headers: { [name]: 'x' }, body: '{}' }), `undici sent ${name}`);
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('resolveHeaders: updates', () => {
  const stored = { Authorization: 'Bearer saved', 'X-Team': 'growth' };

  test('the masked value keeps the saved value, matching the name ignoring case', () => {
    const r = resolveHeaders({ authorization: MASKED_HEADER_VALUE, 'X-Team': 'ops' }, stored, F);
    assert.deepEqual(r, { ok: true, headers: { authorization: 'Bearer saved', 'X-Team': 'ops' } });
  });

  test('a header left out or set to null is removed', () => {
    assert.deepEqual(resolveHeaders({ 'X-Team': 'growth' }, stored, F), { ok: true, headers: { 'X-Team': 'growth' } });
    assert.deepEqual(resolveHeaders({ Authorization: null, 'X-Team': MASKED_HEADER_VALUE }, stored, F), {
      ok: true,
      headers: { 'X-Team': 'growth' },
    });
    assert.deepEqual(resolveHeaders({}, stored, F), { ok: true, headers: {} });
  });

  test('the masked value with nothing saved under that name is an error, not a literal value', () => {
    const errors = errorsOf({ 'X-Other': MASKED_HEADER_VALUE }, stored);
    assert.deepEqual(
      errors.map((e) => e.field),
      [[...F, 'X-Other']],
    );
    assert.match(errors[0].message, /no saved "X-Other" header/);
  });
});

describe('sensitive headers', () => {
  test('by name: the credential headers and any name with token, secret, key, auth, password or signature', () => {
    for (const name of [
      'Authorization',
      'proxy-authorization',
      'Cookie',
      'X-Api-Key',
      'X-Auth-Token',
      'Client-Secret',
      'DB-PASSWORD',
      'X-Signature',
      'X-Authentication',
    ])
      assert.ok(isSensitiveHeader(name, []), name);
    for (const name of ['X-Team', 'Accept', 'X-Request-Source', 'Set-Cooky']) assert.ok(!isSensitiveHeader(name, []), name);
    assert.ok(isSensitiveHeader('X-Tenant', ['x-tenant']), 'or marked by an admin');
  });

  test('masking replaces sensitive values only; the names list is sorted', () => {
    const headers = { 'X-Team': 'growth', Authorization: 'Bearer a', 'X-Tenant': 'acme' };
    assert.deepEqual(maskHeaders(headers, ['x-tenant']), {
      'X-Team': 'growth',
      Authorization: MASKED_HEADER_VALUE,
      'X-Tenant': MASKED_HEADER_VALUE,
    });
    assert.deepEqual(sensitiveHeaderNames(headers, ['x-tenant']), ['Authorization', 'X-Tenant']);
  });

  test('marks are added, must name a header, and go with their header', () => {
    const headers = { 'X-Tenant': 'acme', 'X-Team': 'growth' };
    assert.deepEqual(resolveSensitiveMarks(['X-TEAM'], headers, ['x-tenant'], ['input', 'sensitiveHeaders']), {
      ok: true,
      marks: ['x-team', 'x-tenant'],
    });
    assert.deepEqual(resolveSensitiveMarks(null, { 'X-Team': 'growth' }, ['x-tenant'], ['s']), { ok: true, marks: [] });
    const r = resolveSensitiveMarks(['X-Team', 'X-Missing'], headers, [], ['input', 'sensitiveHeaders']);
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.errors.map((e) => e.field), [['input', 'sensitiveHeaders', '1']]);
  });
});

describe('sealing', () => {
  const box = new SecretBox(randomBytes(32));

  test('sealed headers hold no plain text and open to the same map; none seal to null', () => {
    const headers = { Authorization: 'Bearer s3cret-value' };
    const sealed = sealHeaders(box, headers)!;
    assert.match(sealed, /^v1\./);
    assert.ok(!sealed.includes('s3cret'));
    assert.deepEqual(openHeaders(box, sealed), headers);
    assert.equal(sealHeaders(box, {}), null);
    assert.deepEqual(openHeaders(box, null), {});
    assert.throws(() => openHeaders(new SecretBox(randomBytes(32)), sealed), 'another key cannot open them');
  });

  test('legacy "plain:" values read as they are', () => {
    assert.deepEqual(openHeaders(box, 'plain:{"X-A":"1"}'), { 'X-A': '1' });
  });

  test('the vault opens each sealed value once and follows changes', () => {
    const vault = new HeaderVault(box);
    const a = sealHeaders(box, { 'X-V': '1' });
    assert.equal(vault.open('wh', a), vault.open('wh', a), 'cached');
    assert.deepEqual(vault.open('wh', sealHeaders(box, { 'X-V': '2' })), { 'X-V': '2' });
    assert.deepEqual(vault.open('wh', null), {});
  });
});
