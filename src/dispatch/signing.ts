// Request signatures: Standard Webhooks ("webhook-signature") and a
// GitHub-style body HMAC ("x-hookline-signature-256").
import { createHmac } from 'node:crypto';
import { secretKeyBytes } from '../base/secrets.js';

/** "v1,<sig>" per secret, space-separated, as the Standard Webhooks spec says. */
export function standardSignature(secrets: string[], msgId: string, timestamp: number, body: string): string {
  return secrets
    .map((s) => `v1,${createHmac('sha256', secretKeyBytes(s)).update(`${msgId}.${timestamp}.${body}`).digest('base64')}`)
    .join(' ');
}

/** "sha256=<hex>", keyed with the secret string itself, as GitHub does. */
export function githubSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
