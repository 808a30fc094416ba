// JSON Schemas for event payloads (Svix's event type schemas), checked with
// Ajv (draft-07, formats from ajv-formats). An admin saves a schema on an
// event type; publishEvent then validates every payload of that type
// against it. Schemas come from tenants and run on the shared publishing
// thread, so besides Ajv's own checks a schema is refused when it could make
// validation slow or unbounded (Ajv's "untrusted schemas" advice):
//
// - regular expressions (pattern, patternProperties) are refused: a crafted
//   pattern can take exponential time on one string;
// - uniqueItems on anything but scalar items needs maxItems ≤ 1,000 (Ajv
//   compares such items pairwise);
// - $async schemas and references outside the document are refused;
// - the document is at most MAX_SCHEMA_BYTES and MAX_SCHEMA_DEPTH levels.
//
// A schema is compiled once per text (the memo below), so a publish pays
// only for validation.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { deeperThan, isPlainObject } from './json.js';
import { Lru } from './lru.js';

export const MAX_SCHEMA_BYTES = 64 * 1024;
export const MAX_SCHEMA_DEPTH = 32;
const MAX_UNIQUE_ITEMS = 1000;
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/** A problem with a schema or a payload: where (a path into the document) and what. */
export interface JsonProblem {
  path: string[];
  message: string;
}

export type PayloadValidator = (payload: unknown) => JsonProblem | null;
export type SchemaCheck = { ok: true; validate: PayloadValidator } | { ok: false; problems: JsonProblem[] };

// ajv-formats is CommonJS; its function is the module itself (or its default, depending on the loader).
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

function newAjv(): Ajv {
  // allErrors off: validation stops at the first error, which is the one reported.
  // addUsedSchema off: a tenant's $id never becomes a name other schemas can reach.
  const ajv = new Ajv({ allErrors: false, strict: false, logger: false, addUsedSchema: false, validateSchema: false });
  return addFormats(ajv);
}

/** One instance compiles every schema; compiled schemas are dropped from its cache at once (the memo below holds them). */
const ajv = newAjv();
const compiled = new Lru<string, SchemaCheck>(1000);

const ONE = ['not', 'if', 'then', 'else', 'items', 'additionalItems', 'additionalProperties', 'contains', 'propertyNames'];
const MANY = ['allOf', 'anyOf', 'oneOf', 'items'];
const MAP = ['properties', 'definitions', '$defs', 'dependencies'];

/** What Ajv accepts but Hookline refuses (see the top of this file), found by walking every subschema. */
function unsafeParts(schema: unknown, at: string[], out: JsonProblem[]): void {
  if (!isPlainObject(schema) || out.length >= 20) return;
  for (const key of ['pattern', 'patternProperties']) {
    if (key in schema)
      out.push({
        path: [...at, key],
        message: `${key} is not accepted: a regular expression can take exponential time on a crafted payload; use enum, const or format instead`,
      });
  }
  if ('$async' in schema) out.push({ path: [...at, '$async'], message: 'asynchronous schemas are not accepted' });
  if (schema.uniqueItems === true) {
    const items = schema.items;
    const types = isPlainObject(items) ? [items.type].flat() : [];
    const scalar = types.length > 0 && types.every((t) => SCALAR_TYPES.has(t as string));
    const max = schema.maxItems;
    if (!scalar && !(typeof max === 'number' && max <= MAX_UNIQUE_ITEMS)) {
      out.push({
        path: [...at, 'uniqueItems'],
        message: `uniqueItems on items that are not all scalars needs maxItems of at most ${MAX_UNIQUE_ITEMS}`,
      });
    }
  }
  if (typeof schema.$ref === 'string' && !schema.$ref.startsWith('#')) {
    out.push({ path: [...at, '$ref'], message: 'only references inside the schema ("#/…") are accepted' });
  }
  for (const key of ONE) if (isPlainObject(schema[key])) unsafeParts(schema[key], [...at, key], out);
  for (const key of MANY) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach((s, i) => unsafeParts(s, [...at, key, String(i)], out));
  }
  for (const key of MAP) {
    const map = schema[key];
    if (isPlainObject(map)) for (const [name, s] of Object.entries(map)) unsafeParts(s, [...at, key, name], out);
  }
}

/** A JSON pointer ("/a/b~1c") as path segments. */
const pointerPath = (pointer: string) =>
  pointer
    ? pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    : [];

/** Ajv's error as a path and a sentence; a missing or extra property is named in the path. */
function problemOf(e: ErrorObject): JsonProblem {
  const path = pointerPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return { path: [...path, String(p.missingProperty)], message: 'is required' };
  if (e.keyword === 'additionalProperties')
    return { path: [...path, String(p.additionalProperty)], message: 'is not allowed (additionalProperties)' };
  return { path, message: e.message ?? `fails ${e.keyword}` };
}

function compile(text: string): SchemaCheck {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    return { ok: false, problems: [{ path: [], message: 'schema is not valid JSON' }] };
  }
  const problems = checkSchemaDocument(schema);
  if (problems.length) return { ok: false, problems };
  if (!ajv.validateSchema(schema as object)) {
    return {
      ok: false,
      problems: (ajv.errors ?? [])
        .slice(0, 5)
        .map((e) => ({ path: pointerPath(e.instancePath), message: `schema ${e.message ?? 'is invalid'}` })),
    };
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema as object);
  } catch (err) {
    return {
      ok: false,
      problems: [{ path: [], message: `schema cannot be compiled: ${(err as Error).message.split('\n')[0].slice(0, 200)}` }],
    };
  } finally {
    ajv.removeSchema(schema as object);
  }
  return { ok: true, validate: (payload) => (validate(payload) ? null : problemOf(validate.errors![0])) };
}

/** The limits and refusals that do not need Ajv: an object, small and shallow enough, with nothing unsafe in it. */
export function checkSchemaDocument(schema: unknown): JsonProblem[] {
  if (!isPlainObject(schema)) return [{ path: [], message: 'schema must be a JSON object' }];
  if (deeperThan(schema, MAX_SCHEMA_DEPTH)) return [{ path: [], message: `schema must be nested at most ${MAX_SCHEMA_DEPTH} levels deep` }];
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > MAX_SCHEMA_BYTES) return [{ path: [], message: `schema is ${bytes} bytes of JSON; the limit is ${MAX_SCHEMA_BYTES}` }];
  const out: JsonProblem[] = [];
  unsafeParts(schema, [], out);
  return out;
}

/** The validator for a schema saved as `text` (compiled on first use, then memoised), or its problems. */
export function payloadSchema(text: string): SchemaCheck {
  return compiled.getOrSet(text, () => compile(text));
}
