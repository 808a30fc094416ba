// Where a credential may be presented (src/server/auth.ts), console-link
// expiry bounds, and the PUBLIC_URL setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFromAuthorization, presentedCredential } from '../../src/server/auth.js';
import { consoleLinkUrl, linkExpiry } from '../../src/domain/accounts/consoleLinks.js';
import { loadConfig } from '../../src/base/config.js';

const req = (headers: Record<string, string>) => new Request('http://localhost/graphql', { headers });

test('a credential is found in HTTP headers, every connectionParams form and extensions.headers', () => {
  assert.equal(presentedCredential({ request: req({ 'x-api-key': ' k1 ' }) }), 'k1');
  assert.equal(presentedCredential({ request: req({ authorization: 'Bearer k2' }) }), 'k2');
  assert.equal(presentedCredential({ connectionParams: { apiKey: 'k3' } }), 'k3');
  assert.equal(presentedCredential({ connectionParams: { 'x-api-key': 'k4' } }), 'k4');
  assert.equal(presentedCredential({ connectionParams: { authorization: 'Bearer k5' } }), 'k5');
  assert.equal(presentedCredential({ connectionParams: { Authorization: 'bearer k6' } }), 'k6');
  assert.equal(presentedCredential({ connectionParams: { headers: { 'X-API-Key': 'k7' } } }), 'k7');
  assert.equal(presentedCredential({ connectionParams: { headers: { authorization: 'Bearer k8' } } }), 'k8');
  assert.equal(presentedCredential({ params: { extensions: { headers: { 'x-api-key': 'k9' } } } }), 'k9');
  assert.equal(presentedCredential({ connectionParams: {}, params: { extensions: { headers: { Authorization: 'Bearer k10' } } } }), 'k10');
});

const basic = (userAndKey: string) => `Basic ${Buffer.from(userAndKey).toString('base64')}`;

test('Authorization: Basic carries the key as its password, whatever the user name (SuperOffice)', () => {
  assert.equal(keyFromAuthorization(basic('tje0:hk_secret')), 'hk_secret');
  assert.equal(keyFromAuthorization(basic(':hk_secret')), 'hk_secret', 'an empty user name');
  assert.equal(keyFromAuthorization(basic('user:pass:with:colons')), 'pass:with:colons', 'only the first colon splits');
  assert.equal(keyFromAuthorization(`basic   ${Buffer.from('u:k').toString('base64')}  `), 'k', 'scheme case and spaces');
  assert.equal(keyFromAuthorization('Bearer  k '), 'k');
  assert.equal(keyFromAuthorization(basic('no-colon')), null);
  assert.equal(keyFromAuthorization(basic('user:')), null, 'an empty password');
  assert.equal(keyFromAuthorization('Digest k'), null);
  assert.equal(keyFromAuthorization('Basic'), null);
  assert.equal(presentedCredential({ request: req({ authorization: basic('any:k11') }) }), 'k11');
  assert.equal(presentedCredential({ connectionParams: { Authorization: basic('any:k12') } }), 'k12');
  assert.equal(presentedCredential({ params: { extensions: { headers: { authorization: basic('any:k13') } } } }), 'k13');
});

test('empty, non-string and non-Bearer/Basic values count as no credential', () => {
  assert.equal(presentedCredential({ request: req({ 'x-api-key': '' }) }), null);
  assert.equal(presentedCredential({ request: req({ authorization: 'Basic abc' }) }), null);
  assert.equal(presentedCredential({ connectionParams: { apiKey: '  ' } }), null);
  assert.equal(presentedCredential({ connectionParams: { apiKey: 42 } }), null);
  assert.equal(presentedCredential({ connectionParams: { headers: 'x-api-key: k' } }), null);
  assert.equal(presentedCredential({ params: { extensions: { headers: { 'x-api-key': '' } } } }), null);
  assert.equal(presentedCredential({}), null);
});

test('console links last an hour by default and 60 s to 7 days when asked', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  assert.deepEqual(linkExpiry(now, undefined), new Date('2026-01-01T01:00:00Z'));
  assert.deepEqual(linkExpiry(now, 604800), new Date('2026-01-08T00:00:00Z'));
  assert.deepEqual(linkExpiry(now, 60), new Date('2026-01-01T00:01:00Z'));
  for (const bad of [604801, 59, 0, -1, 1.5]) {
    const r = linkExpiry(now, bad);
    assert.ok(!(r instanceof Date));
    assert.deepEqual(r.field, ['input', 'expiresIn']);
  }
  assert.equal(consoleLinkUrl('https://x.example', 'hkc_abc'), 'https://x.example/#link=hkc_abc');
});

test('PUBLIC_URL defaults to localhost on PORT and must be an http(s) URL', () => {
  assert.equal(loadConfig({ PORT: '5000' }).publicUrl, 'http://localhost:5000');
  assert.equal(loadConfig({ PUBLIC_URL: 'https://hooks.example.com/' }).publicUrl, 'https://hooks.example.com');
  assert.equal(loadConfig({ PUBLIC_URL: 'https://example.com/hookline/' }).publicUrl, 'https://example.com/hookline');
  assert.throws(() => loadConfig({ PUBLIC_URL: 'ftp://example.com' }), /PUBLIC_URL/);
  assert.throws(() => loadConfig({ PUBLIC_URL: 'not a url' }), /PUBLIC_URL/);
  assert.throws(() => loadConfig({ PUBLIC_URL: 'https://example.com/#x' }), /PUBLIC_URL/);
});
