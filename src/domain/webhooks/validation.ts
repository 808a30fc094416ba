// Input rules for webhooks. Each returns user errors naming the input field.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { MASKED_HEADER_VALUE, type HeaderMap } from '../../base/customHeaders.js';
import { invalid, type UserError } from '../../base/errors.js';
import { deeperThan, isPlainObject } from '../../base/json.js';
import { webhookSecretProblem } from '../../base/secrets.js';
import { checkTargetUrl } from '../../base/targets.js';

export const MAX_NAME_LENGTH = 200;
const MAX_HEADERS = 20;
const MAX_HEADER_VALUE = 4096;
const MAX_PROPERTIES_BYTES = 16 * 1024;
/** Set by Hookline or its HTTP client on every delivery (webhook-* and x-hookline-* too). */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'host', 'user-agent']);
/** RFC 9110 section 7.6.1 and RFC 9112, plus Expect, which undici refuses. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);
const LATIN1 = /^[\t\x20-\x7e\x80-\xff]*$/;

export function checkName(name: string, field: string[]): UserError[] {
  if (name.trim().length === 0) return [invalid(field, 'name must not be empty')];
  // Names are stored trimmed, so the limit applies to the trimmed name.
  if (name.trim().length > MAX_NAME_LENGTH) return [invalid(field, `name must be at most ${MAX_NAME_LENGTH} characters`)];
  if (!/[\p{L}\p{N}]/u.test(name)) return [invalid(field, 'name must contain at least one letter or digit')];
  return [];
}

/** A signing secret the caller chose (see webhookSecretProblem). */
export function checkSecret(secret: string, field: string[]): UserError[] {
  const problem = webhookSecretProblem(secret);
  return problem ? [invalid(field, problem)] : [];
}

const HANDLER_TYPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * The name of the handler (SuperOffice's plugin name: "webhook", or
 * "crmscript" for its CRM scripts): a letter, then letters, digits, ".", "_"
 * or "-", at most 64 characters.
 */
export function checkType(type: string, field: string[]): UserError[] {
  return HANDLER_TYPE.test(type)
    ? []
    : [invalid(field, 'type must start with a letter and hold only letters, digits, ".", "_" or "-", at most 64 characters')];
}

export async function checkUrl(url: string, allowPrivateTargets: boolean, field: string[]): Promise<UserError[]> {
  if (url.length > 2048) return [invalid(field, 'targetUrl must be at most 2048 characters')];
  const res = await checkTargetUrl(url, allowPrivateTargets);
  return res.ok ? [] : [invalid(field, res.message)];
}

// Moved to base (the content-filter and payload-schema checks use them too); re-exported for existing callers.
export { deeperThan, isPlainObject };

/**
 * Headers the HTTP client sets itself or refuses: Hookline's own, and the
 * hop-by-hop ones, which describe one connection rather than the request
 * (undici throws on Expect, Upgrade, Keep-Alive and Transfer-Encoding).
 */
function reservedReason(lower: string): string | null {
  if (OWN_HEADERS.has(lower) || lower.startsWith('webhook-') || lower.startsWith('x-hookline-')) return 'Hookline sets it';
  if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-')) return 'it is a hop-by-hop header, which the HTTP client manages per connection';
  return null;
}

/** The rules Node's HTTP client (and undici) apply to a name; null when it is acceptable. */
function nameProblem(name: string): string | null {
  try {
    validateHeaderName(name);
  } catch {
    return `"${name}" is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only)`;
  }
  const reason = reservedReason(name.toLowerCase());
  return reason ? `"${name}" is a reserved header and cannot be set: ${reason}` : null;
}

/** The rules the HTTP client applies to a value; null when it is acceptable. */
function valueProblem(name: string, value: string): string | null {
  if (value.length > MAX_HEADER_VALUE) return `header "${name}" must be at most ${MAX_HEADER_VALUE} characters`;
  try {
    validateHeaderValue(name, value);
  } catch {
    return `header "${name}" has an invalid value: only tab, space, visible ASCII and Latin-1 characters are allowed (no line breaks, control characters or emoji)`;
  }
  // undici refuses the same characters with its own copy of Node's rule;
  // the explicit Latin-1 check keeps that promise should either loosen.
  if (!LATIN1.test(value)) return `header "${name}" has an invalid value: only Latin-1 characters can be sent`;
  return null;
}

export type HeadersCheck = { ok: true; headers: HeaderMap } | { ok: false; errors: UserError[] };

/**
 * The custom headers a create or update sets. `input` replaces the whole set:
 * a header left out, or given null, is removed; a value equal to
 * MASKED_HEADER_VALUE keeps `stored`'s value for that name (names match
 * ignoring case), so a client can send back what it read. Names and values
 * are checked with the HTTP client's own rules, so nothing saved here is
 * refused at delivery time.
 */
export function resolveHeaders(input: unknown, stored: HeaderMap, field: string[]): HeadersCheck {
  if (!isPlainObject(input)) return { ok: false, errors: [invalid(field, 'headers must be an object of header names to string values')] };
  const given = Object.entries(input).filter(([, v]) => v !== null);
  if (given.length > MAX_HEADERS) return { ok: false, errors: [invalid(field, `at most ${MAX_HEADERS} custom headers are allowed`)] };
  const storedByLower = new Map(Object.entries(stored).map(([n, v]) => [n.toLowerCase(), v]));
  const seen = new Map<string, string>();
  const errors: UserError[] = [];
  const headers: HeaderMap = {};
  for (const [name, value] of given) {
    const at = [...field, name];
    const lower = name.toLowerCase();
    const problem =
      nameProblem(name) ??
      (seen.has(lower) ? `"${name}" repeats "${seen.get(lower)}": header names are case-insensitive` : null) ??
      (typeof value !== 'string' ? `header "${name}" must have a string value (or null to remove it)` : null);
    seen.set(lower, seen.get(lower) ?? name);
    if (problem) {
      errors.push(invalid(at, problem));
    } else if (value === MASKED_HEADER_VALUE) {
      const kept = storedByLower.get(lower);
      if (kept === undefined)
        errors.push(invalid(at, `"${MASKED_HEADER_VALUE}" keeps a saved value, and there is no saved "${name}" header`));
      else headers[name] = kept;
    } else {
      const bad = valueProblem(name, value as string);
      if (bad) errors.push(invalid(at, bad));
      else headers[name] = value as string;
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, headers };
}

export type MarksCheck = { ok: true; marks: string[] } | { ok: false; errors: UserError[] };

/**
 * The names marked sensitive after a change, lower-cased and sorted: the
 * earlier marks of headers that remain, plus `input`'s names, each of which
 * must be one of `headers`. Marks are only ever added: a value saved as
 * sensitive is never shown again, so a mark goes only with its header.
 */
export function resolveSensitiveMarks(
  input: readonly string[] | null | undefined,
  headers: HeaderMap,
  earlier: readonly string[],
  field: string[],
): MarksCheck {
  const present = new Set(Object.keys(headers).map((n) => n.toLowerCase()));
  const marks = new Set(earlier.filter((n) => present.has(n)));
  const errors: UserError[] = [];
  (input ?? []).forEach((name, i) => {
    if (!present.has(name.toLowerCase())) errors.push(invalid([...field, String(i)], `"${name}" is not one of this webhook's headers`));
    else marks.add(name.toLowerCase());
  });
  return errors.length ? { ok: false, errors } : { ok: true, marks: [...marks].sort() };
}

const MAX_PROPERTIES_DEPTH = 32;

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
