// Caller-supplied signing secrets (SuperOffice's "shared secret key") and the
// HMAC key bytes each form signs with (src/base/secrets.ts), checked against
// the standardwebhooks package as the receiver's side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, secretKeyBytes, webhookSecretProblem } from '../../src/base/secrets.js';
import { standardSignature } from '../../src/dispatch/signing.js';
import { checkType } from '../../src/domain/webhooks/validation.js';

test('generated secrets and whsec_ secrets of 24 to 64 bytes are accepted', () => {
  assert.equal(webhookSecretProblem(generateWebhookSecret()), null);
  assert.equal(webhookSecretProblem(`whsec_${randomBytes(24).toString('base64')}`), null);
  assert.equal(webhookSecretProblem(`whsec_${randomBytes(64).toString('base64')}`), null);
});

test('whsec_ secrets must be padded standard base64 of 24 to 64 bytes', () => {
  for (const bad of [
    `whsec_${randomBytes(23).toString('base64')}`,
    `whsec_${randomBytes(65).toString('base64')}`,
    `whsec_${'ab-_'.repeat(11)}`,
    `whsec_${randomBytes(32).toString('base64').replace(/=+$/, '')}`,
    'whsec_',
    `whsec_ ${randomBytes(32).toString('base64')}`,
  ]) {
    assert.match(webhookSecretProblem(bad) ?? 'accepted', /whsec_/, bad);
  }
});

test('any other secret needs 24 to 256 visible ASCII characters', () => {
  assert.equal(webhookSecretProblem('a'.repeat(24)), null);
  assert.equal(webhookSecretProblem('Shared-secret!with~symbols#1234'), null);
  assert.equal(webhookSecretProblem('x'.repeat(256)), null);
  assert.match(webhookSecretProblem('a'.repeat(23))!, /at least 24/);
  assert.match(webhookSecretProblem('x'.repeat(257))!, /at most 256/);
  assert.match(webhookSecretProblem('a'.repeat(20) + ' spaces')!, /visible ASCII/);
  assert.match(webhookSecretProblem('å'.repeat(30))!, /visible ASCII/);
  assert.match(webhookSecretProblem('')!, /at least 24/);
});

test('a whsec_ secret signs with its base64 bytes, any other with its own bytes (standardwebhooks raw format)', () => {
  const body = '{"ok":true}';
  const at = Math.floor(Date.now() / 1000);
  const headers = (secret: string) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(at),
    'webhook-signature': standardSignature([secret], 'msg_1', at, body),
  });
  const whsec = generateWebhookSecret();
  assert.deepEqual(secretKeyBytes(whsec), Buffer.from(whsec.slice(6), 'base64'));
  assert.doesNotThrow(() => new Webhook(whsec).verify(body, headers(whsec)));
  const shared = 'my-own-shared-secret-0123456789';
  assert.deepEqual(secretKeyBytes(shared), Buffer.from(shared));
  assert.doesNotThrow(() => new Webhook(shared, { format: 'raw' }).verify(body, headers(shared)));
});

test('type: a handler name of letters, digits, ".", "_" and "-"', () => {
  for (const good of ['webhook', 'crmscript', 'Zapier.v2', 'a', `x${'y'.repeat(63)}`]) assert.deepEqual(checkType(good, ['t']), [], good);
  for (const bad of ['', '1hook', 'has space', 'x'.repeat(65), 'ümlaut', '-dash']) {
    assert.equal(checkType(bad, ['t'])[0]?.code, 'INVALID', bad);
  }
});
