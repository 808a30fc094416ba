// Webhook signing secrets (Standard Webhooks "whsec_" format), encrypted at
// rest with AES-256-GCM, and API keys, stored only as a SHA-256 hash.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { randomAlphanumeric } from './ids.js';

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const WHSEC = 'whsec_';
/** Standard Webhooks keys are 24 to 64 bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
/** A shared secret of the caller's own: SuperOffice's "shared secret key", typed into both ends. */
const MIN_SHARED_SECRET = 24;
const MAX_SHARED_SECRET = 256;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const VISIBLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * The HMAC key bytes of a secret: the base64-decoded part of a "whsec_"
 * secret (Standard Webhooks), or the UTF-8 bytes of any other shared secret
 * (what standardwebhooks' `format: 'raw'` and most HMAC code use).
 */
export function secretKeyBytes(secret: string): Buffer {
  return secret.startsWith(WHSEC) ? Buffer.from(secret.slice(WHSEC.length), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * Why a caller-supplied signing secret is refused, or null. Either the
 * Standard Webhooks form, "whsec_" and base64 of 24 to 64 bytes (as
 * generated ones are), or any shared secret of 24 to 256 visible ASCII
 * characters: long enough to resist guessing, and the same bytes on every
 * platform the receiver may type it into.
 */
export function webhookSecretProblem(secret: string): string | null {
  if (secret.startsWith(WHSEC)) {
    const encoded = secret.slice(WHSEC.length);
    const bytes = BASE64.test(encoded) ? Buffer.from(encoded, 'base64').length : -1;
    if (bytes < MIN_KEY_BYTES || bytes > MAX_KEY_BYTES) {
      return `a "whsec_" secret must be followed by standard base64 (with padding) of ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes`;
    }
    return null;
  }
  if (secret.length < MIN_SHARED_SECRET) return `secret must be at least ${MIN_SHARED_SECRET} characters, or "whsec_" and base64`;
  if (secret.length > MAX_SHARED_SECRET) return `secret must be at most ${MAX_SHARED_SECRET} characters`;
  if (!VISIBLE_ASCII.test(secret)) return 'secret may hold only visible ASCII characters (no spaces, control characters or accents)';
  return null;
}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('encryption key must be 32 bytes');
  }

  /** "v1.<iv>.<tag>.<ciphertext>", all base64. */
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** Where a generated key is kept: its presence also says the data directory was used before. */
export function keyFilePath(dataDir: string): string {
  return join(dataDir, 'secret-encryption.key');
}

/**
 * The configured key, or the one generated earlier into the data directory.
 * Returns whether it was generated now, so the caller can warn.
 */
export function resolveEncryptionKey(cfg: Config): { key: Buffer; generated: boolean; path: string | null } {
  if (cfg.secretEncryptionKey) return { key: cfg.secretEncryptionKey, generated: false, path: null };
  const path = keyFilePath(cfg.dataDir);
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte hex key`);
    return { key, generated: false, path };
  }
  mkdirSync(cfg.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, generated: true, path };
}

const API_KEY_PREFIX = 'hk_';
const GENERATED_KEY_LENGTH = 40;
/** Exactly what generateApiKey makes: hints may show its prefix, which carries no secret. */
const GENERATED_KEY = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9]{${GENERATED_KEY_LENGTH}}$`);

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomAlphanumeric(GENERATED_KEY_LENGTH);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * What may be shown of a key after creation. A key Hookline generated shows
 * "hk_" and its next four characters, and its last four: 8 of 40 random
 * characters. Any other key (BOOTSTRAP_API_KEY, which may be as short as 16
 * characters) shows only its last four, and an empty prefix: its first
 * characters are secret too.
 */
export function apiKeyHints(key: string): { prefix: string; lastFour: string } {
  const prefix = GENERATED_KEY.test(key) ? key.slice(0, API_KEY_PREFIX.length + 4) : '';
  return { prefix, lastFour: key.slice(-4) };
}

const PLATFORM_KEY_PREFIX = 'hkp_';

/** A platform-level key: "hkp_" and 40 random alphanumerics, stored only as hashApiKey's SHA-256. */
export function generatePlatformKey(): string {
  return PLATFORM_KEY_PREFIX + randomAlphanumeric(GENERATED_KEY_LENGTH);
}

/** Whether a presented credential is a platform-level key rather than an account's API key. */
export function isPlatformKey(credential: string): boolean {
  return credential.startsWith(PLATFORM_KEY_PREFIX);
}

const CONSOLE_LINK_PREFIX = 'hkc_';

/** A console link's token: 43 random alphanumerics (about 256 bits), stored only as hashApiKey's SHA-256. */
export function generateConsoleLinkToken(): string {
  return CONSOLE_LINK_PREFIX + randomAlphanumeric(43);
}

/** Whether a presented credential is a console-link token rather than an API key. */
export function isConsoleLinkToken(credential: string): boolean {
  return credential.startsWith(CONSOLE_LINK_PREFIX);
}
