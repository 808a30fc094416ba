// Input rules for webhooks. Each returns user errors naming the input field.
import { invalid, type UserError } from '../../base/errors.js';
import { checkTargetUrl } from '../../base/targets.js';

export const MAX_NAME_LENGTH = 200;
const MAX_HEADERS = 20;
const MAX_PROPERTIES_BYTES = 16 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'user-agent', 'connection', 'transfer-encoding']);

export function checkName(name: string, field: string[]): UserError[] {
  if (name.trim().length === 0) return [invalid(field, 'name must not be empty')];
  // Names are stored trimmed, so the limit applies to the trimmed name.
  if (name.trim().length > MAX_NAME_LENGTH) return [invalid(field, `name must be at most ${MAX_NAME_LENGTH} characters`)];
  if (!/[\p{L}\p{N}]/u.test(name)) return [invalid(field, 'name must contain at least one letter or digit')];
  return [];
}

export async function checkUrl(url: string, allowPrivateTargets: boolean, field: string[]): Promise<UserError[]> {
  if (url.length > 2048) return [invalid(field, 'targetUrl must be at most 2048 characters')];
  const res = await checkTargetUrl(url, allowPrivateTargets);
  return res.ok ? [] : [invalid(field, res.message)];
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Headers arrive as a JSON object of string values. */
export function checkHeaders(headers: unknown, field: string[]): UserError[] {
  if (!isPlainObject(headers)) return [invalid(field, 'headers must be an object of header names to string values')];
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) return [invalid(field, `at most ${MAX_HEADERS} custom headers are allowed`)];
  const errors: UserError[] = [];
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) errors.push(invalid([...field, name], `"${name}" is not a valid header name`));
    else if (RESERVED_HEADERS.has(lower) || lower.startsWith('webhook-') || lower.startsWith('x-hookline-')) {
      errors.push(invalid([...field, name], `"${name}" is a reserved header and cannot be set`));
    } else if (typeof value !== 'string') {
      errors.push(invalid([...field, name], `header "${name}" must have a string value`));
    } else if (/[\r\n\0]/.test(value) || value.length > 4096) {
      errors.push(invalid([...field, name], `header "${name}" has an invalid value`));
    }
  }
  return errors;
}

const MAX_PROPERTIES_DEPTH = 32;

/** True if `value` nests objects or arrays deeper than `max`; iterative, so any depth is safe to check. */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export function checkProperties(properties: unknown, field: string[]): UserError[] {
  if (!isPlainObject(properties)) return [invalid(field, 'properties must be a JSON object')];
  // Checked before serialising: JSON.stringify overflows the stack on very deep values.
  if (deeperThan(properties, MAX_PROPERTIES_DEPTH)) {
    return [invalid(field, `properties must be nested at most ${MAX_PROPERTIES_DEPTH} levels deep`)];
  }
  if (Buffer.byteLength(JSON.stringify(properties)) > MAX_PROPERTIES_BYTES) {
    return [invalid(field, `properties must be at most ${MAX_PROPERTIES_BYTES} bytes of JSON`)];
  }
  return [];
}

/**
 * The distinct, trimmed, non-empty names as given, before "*" absorbs the
 * rest: every one of them must be "*" or in the catalog.
 */
export function listedEvents(events: string[]): string[] {
  return [...new Set(events.map((e) => e.trim()).filter(Boolean))];
}

/** Normalises event names: trimmed, de-duplicated, "*" alone if present. */
export function normaliseEvents(events: string[]): string[] {
  const unique = [...new Set(events.map((e) => e.trim()).filter(Boolean))];
  return unique.includes('*') ? ['*'] : unique.sort();
}
