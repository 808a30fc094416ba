// A webhook's custom HTTP headers: often credentials (Authorization: Bearer …),
// so they are sealed at rest like signing secrets, and the values of
// sensitive ones are never shown again once saved: the API, the attempt log
// and the live streams see MASKED_HEADER_VALUE in their place.
import type { SecretBox } from './secrets.js';

export type HeaderMap = Record<string, string>;

/** What a sensitive header's value reads as; sent back in an update it keeps the stored value. */
export const MASKED_HEADER_VALUE = '********';

const SENSITIVE_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie']);
const SENSITIVE_PARTS = ['token', 'secret', 'key', 'auth', 'password', 'signature'];

/** Sensitive by name alone, whatever an admin marked. */
export function isSensitiveByName(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_NAMES.has(lower) || SENSITIVE_PARTS.some((part) => lower.includes(part));
}

/** `marked` holds the lower-cased names an admin marked sensitive on this webhook. */
export function isSensitiveHeader(name: string, marked: readonly string[]): boolean {
  return isSensitiveByName(name) || marked.includes(name.toLowerCase());
}

/** The names in `headers` whose values are masked, sorted. */
export function sensitiveHeaderNames(headers: HeaderMap, marked: readonly string[]): string[] {
  return Object.keys(headers)
    .filter((n) => isSensitiveHeader(n, marked))
    .sort();
}

/** The headers as they may be shown: sensitive values replaced by MASKED_HEADER_VALUE. */
export function maskHeaders(headers: HeaderMap, marked: readonly string[]): HeaderMap {
  const shown: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) shown[name] = isSensitiveHeader(name, marked) ? MASKED_HEADER_VALUE : value;
  return shown;
}

/** The admin marks column as stored (a JSON array of lower-cased names); anything else reads as none. */
export function markedNames(stored: unknown): string[] {
  return Array.isArray(stored) ? stored.filter((n): n is string => typeof n === 'string') : [];
}

/**
 * Rows written before headers were sealed hold "plain:<JSON>" (the migration
 * copied the old column so); start-up seals them, and until then they read as
 * they are. Sealed values start "v1.", so the two cannot be confused.
 */
export const LEGACY_PLAIN_PREFIX = 'plain:';

/** The sealed column value: null when there are no headers. */
export function sealHeaders(box: SecretBox, headers: HeaderMap): string | null {
  return Object.keys(headers).length ? box.encrypt(JSON.stringify(headers)) : null;
}

export function openHeaders(box: SecretBox, sealed: string | null): HeaderMap {
  if (!sealed) return {};
  const json = sealed.startsWith(LEGACY_PLAIN_PREFIX) ? sealed.slice(LEGACY_PLAIN_PREFIX.length) : box.decrypt(sealed);
  const parsed: unknown = JSON.parse(json);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as HeaderMap) : {};
}

const MAX_ENTRIES = 10_000;

/**
 * Opened headers by webhook id, checked against the sealed value they came
 * from: every change to a webhook's headers writes a new sealed value (a
 * fresh IV), so an entry is never used after its webhook changed. `forget`
 * drops a deleted or changed webhook's entry at once.
 */
export class HeaderVault {
  private readonly entries = new Map<string, { sealed: string; headers: HeaderMap }>();

  constructor(private readonly box: SecretBox) {}

  open(webhookId: string, sealed: string | null): HeaderMap {
    if (!sealed) return {};
    const hit = this.entries.get(webhookId);
    if (hit && hit.sealed === sealed) return hit.headers;
    const headers = openHeaders(this.box, sealed);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(webhookId, { sealed, headers });
    return headers;
  }

  forget(webhookId: string): void {
    this.entries.delete(webhookId);
  }
}
