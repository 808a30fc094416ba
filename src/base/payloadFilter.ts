// Content filters: a small JSON language, after Convoy's subscription
// filters (and MongoDB's query documents), that a webhook uses to receive
// only the events whose payload matches. A filter is checked and compiled
// once when it is saved (typed problems naming the bad path), and the
// compiled form is evaluated on every publish, so evaluation must stay cheap
// and bounded whatever the filter and the payload:
//
// - no regular expressions, no code, no recursion into the filter's own data;
// - at most MAX_CONDITIONS tests, MAX_IN_VALUES values per $in, MAX_DEPTH
//   levels, and paths of at most MAX_SEGMENTS segments;
// - a path visits one payload value, or each element of an array it crosses
//   (one level, as MongoDB does), so one test costs at most the size of the
//   payload (which MAX_PAYLOAD_BYTES bounds).
//
// The language (documented in the README, "Content filters"):
//   { "<path>": <value> }                 equal (a field holding an array: any element equal)
//   { "<path>": { "$eq": <value> } }      the same, for any JSON value (objects too)
//   { "<path>": { "$ne": <value> } }      not equal (missing counts as not equal)
//   { "<path>": { "$in": [<values>] } }   equal to one of them; $nin: to none
//   { "<path>": { "$exists": true } }     present (false: absent)
//   { "<path>": { "$gt": <number> } }     and $gte, $lt, $lte: numbers only
//   { "$and": [<filter>, …] }, { "$or": [<filter>, …] }, { "$not": <filter> }
//   several keys in one object must all hold; a path is dot-separated
//   ("customer.address.city"), or nested ({ "customer": { "address": { … } } }),
//   and a numeric segment indexes an array ("items.0.sku").
import { deeperThan } from './json.js';

export const MAX_FILTER_BYTES = 8 * 1024;
export const MAX_DEPTH = 16;
export const MAX_CONDITIONS = 100;
export const MAX_IN_VALUES = 256;
export const MAX_SEGMENTS = 32;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A positive test of one value; $ne, $nin and $exists: false are negations of these. */
type Test =
  | { t: 'eq'; value: Json; scalar: boolean }
  | { t: 'in'; scalars: Set<Json>; others: Json[]; values: Json[] }
  | { t: 'exists' }
  | { t: 'cmp'; op: '$gt' | '$gte' | '$lt' | '$lte'; n: number };

/** A compiled filter node; `at` is its place in the filter document (for explanations). */
export type FilterNode =
  | { k: 'and'; of: FilterNode[]; at: string[] }
  | { k: 'or'; of: FilterNode[]; at: string[] }
  | { k: 'not'; of: FilterNode; at: string[] }
  | { k: 'field'; path: string[]; index: number[]; test: Test; at: string[] };

export interface FilterProblem {
  /** Where in the filter document, such as ["$or", "1", "amount", "$gt"]. */
  path: string[];
  message: string;
}

/** A valid filter (null: it has no condition, so it matches everything), or what is wrong with it. */
export type FilterCheck = { ok: true; filter: FilterNode | null } | { ok: false; problems: FilterProblem[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || typeof v !== 'object';
const FIELD_OPS = new Set(['$eq', '$ne', '$in', '$nin', '$exists', '$gt', '$gte', '$lt', '$lte']);

class Compiler {
  problems: FilterProblem[] = [];
  conditions = 0;

  problem(path: string[], message: string): null {
    if (this.problems.length < 20) this.problems.push({ path, message });
    return null;
  }

  /** An object of entries that must all hold; `prefix` is the payload path of a nested object. */
  entries(doc: Record<string, unknown>, at: string[], prefix: string[]): FilterNode | null {
    const keys = Object.keys(doc);
    if (keys.length === 0) return this.problem(at, 'an empty object has no condition; leave the filter out (or null) to match every event');
    const nodes: FilterNode[] = [];
    for (const key of keys) {
      const node = this.entry(key, doc[key], [...at, key], prefix);
      if (node) nodes.push(node);
    }
    return nodes.length === 1 ? nodes[0] : { k: 'and', of: nodes, at };
  }

  entry(key: string, value: unknown, at: string[], prefix: string[]): FilterNode | null {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) return this.problem(at, `${key} takes a non-empty array of filters`);
      const of: FilterNode[] = [];
      value.forEach((v, i) => {
        const node = isObject(v)
          ? this.entries(v, [...at, String(i)], prefix)
          : this.problem([...at, String(i)], `each ${key} entry must be an object`);
        if (node) of.push(node);
      });
      return { k: key === '$and' ? 'and' : 'or', of, at };
    }
    if (key === '$not') {
      if (!isObject(value)) return this.problem(at, '$not takes a filter (an object)');
      const of = this.entries(value, at, prefix);
      return of && { k: 'not', of, at };
    }
    if (key.startsWith('$')) {
      return this.problem(
        at,
        `unknown operator "${key}" here; use $and, $or or $not, or a field path (operators such as $gt go inside a field's object)`,
      );
    }
    const path = this.path(key, at, prefix);
    if (!path) return null;
    if (isObject(value)) {
      const keys = Object.keys(value);
      const ops = keys.filter((k) => FIELD_OPS.has(k));
      if (keys.length === 0) return this.problem(at, 'an empty object compares with nothing; use {"$eq": {}} to match an empty object');
      // No field operator: a nested path, whose entries may be fields or $and/$or/$not.
      if (ops.length === 0) return this.entries(value, at, path);
      const other = keys.find((k) => !FIELD_OPS.has(k));
      if (other !== undefined) {
        return this.problem(
          [...at, other],
          other.startsWith('$')
            ? `unknown operator "${other}"; use one of ${[...FIELD_OPS].join(', ')}`
            : 'an object cannot mix operators ($…) and field names',
        );
      }
      const tests = ops.map((op) => this.operator(op, value[op], path, [...at, op])).filter((n): n is FilterNode => n !== null);
      return tests.length === 1 ? tests[0] : { k: 'and', of: tests, at };
    }
    return this.field(path, at, this.eq(value as Json));
  }

  path(key: string, at: string[], prefix: string[]): string[] | null {
    const segments = key.split('.');
    if (segments.some((s) => s.length === 0))
      return this.problem(at, `"${key}" is not a valid path: segments are separated by single dots`);
    const path = [...prefix, ...segments];
    if (path.length > MAX_SEGMENTS) return this.problem(at, `a path may have at most ${MAX_SEGMENTS} segments`);
    return path;
  }

  field(path: string[], at: string[], test: Test): FilterNode {
    this.conditions++;
    return { k: 'field', path, index: path.map((s) => (/^(0|[1-9]\d{0,8})$/.test(s) ? Number(s) : -1)), test, at };
  }

  eq(value: Json): Test {
    return { t: 'eq', value, scalar: isScalar(value) };
  }

  operator(op: string, value: unknown, path: string[], at: string[]): FilterNode | null {
    if (op === '$eq' || op === '$ne') {
      const node = this.field(path, at, this.eq(value as Json));
      return op === '$eq' ? node : { k: 'not', of: node, at };
    }
    if (op === '$in' || op === '$nin') {
      if (!Array.isArray(value)) return this.problem(at, `${op} takes an array of values`);
      if (value.length > MAX_IN_VALUES) return this.problem(at, `${op} takes at most ${MAX_IN_VALUES} values`);
      const scalars = new Set<Json>(value.filter(isScalar) as Json[]);
      const node = this.field(path, at, { t: 'in', scalars, others: value.filter((v) => !isScalar(v)) as Json[], values: value as Json[] });
      return op === '$in' ? node : { k: 'not', of: node, at };
    }
    if (op === '$exists') {
      if (typeof value !== 'boolean') return this.problem(at, '$exists takes true or false');
      const node = this.field(path, at, { t: 'exists' });
      return value ? node : { k: 'not', of: node, at };
    }
    // $gt, $gte, $lt, $lte
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.problem(at, `${op} takes a number`);
    return this.field(path, at, { t: 'cmp', op: op as '$gt', n: value });
  }
}

/**
 * Checks and compiles a filter document. Problems name their path in the
 * document; the caller prefixes the input field (["input", "filter", …]).
 */
export function compileFilter(doc: unknown): FilterCheck {
  if (!isObject(doc)) return { ok: false, problems: [{ path: [], message: 'filter must be a JSON object' }] };
  // Checked before serialising or walking: both recurse.
  if (deeperThan(doc, MAX_DEPTH)) {
    return { ok: false, problems: [{ path: [], message: `filter must be nested at most ${MAX_DEPTH} levels deep` }] };
  }
  const bytes = Buffer.byteLength(JSON.stringify(doc));
  if (bytes > MAX_FILTER_BYTES)
    return { ok: false, problems: [{ path: [], message: `filter is ${bytes} bytes of JSON; the limit is ${MAX_FILTER_BYTES}` }] };
  if (Object.keys(doc).length === 0) return { ok: true, filter: null };
  const c = new Compiler();
  const root = c.entries(doc, [], []);
  if (!c.problems.length && c.conditions > MAX_CONDITIONS)
    c.problem([], `filter has ${c.conditions} conditions; the limit is ${MAX_CONDITIONS}`);
  return c.problems.length ? { ok: false, problems: c.problems } : { ok: true, filter: root };
}

/** JSON equality: objects compare by their keys and values, in any order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function testOne(t: Test, v: unknown): boolean {
  switch (t.t) {
    case 'exists':
      return true;
    case 'eq':
      return t.scalar ? v === t.value : jsonEqual(v, t.value);
    case 'in':
      return (isScalar(v) ? t.scalars.has(v as Json) : false) || (t.others.length > 0 && t.others.some((o) => jsonEqual(v, o)));
    case 'cmp':
      if (typeof v !== 'number') return false;
      return t.op === '$gt' ? v > t.n : t.op === '$gte' ? v >= t.n : t.op === '$lt' ? v < t.n : v <= t.n;
  }
}

/** A value satisfies a test itself or, for a field holding an array, through any element (not for $exists). */
function testValue(t: Test, v: unknown): boolean {
  if (testOne(t, v)) return true;
  if (t.t === 'exists' || !Array.isArray(v)) return false;
  for (const e of v) if (testOne(t, e)) return true;
  return false;
}

/** True when some value at the node's path (from `i` on) passes its test; no allocation on the common path. */
function someAt(n: Extract<FilterNode, { k: 'field' }>, v: unknown, i: number): boolean {
  const { path, index } = n;
  for (; i < path.length; i++) {
    if (Array.isArray(v)) {
      if (index[i] >= 0) {
        v = v[index[i]];
        continue;
      }
      // A name applied to an array: each element that is an object.
      for (const e of v) if (isObject(e) && someAt(n, e, i)) return true;
      return false;
    }
    if (!isObject(v) || !Object.hasOwn(v, path[i])) return false;
    v = v[path[i]];
  }
  return v !== undefined && testValue(n.test, v);
}

/** Whether `payload` matches the compiled filter. Pure and bounded (see the top of this file). */
export function matchesFilter(node: FilterNode, payload: unknown): boolean {
  switch (node.k) {
    case 'field':
      return someAt(node, payload, 0);
    case 'and':
      for (const c of node.of) if (!matchesFilter(c, payload)) return false;
      return true;
    case 'or':
      for (const c of node.of) if (matchesFilter(c, payload)) return true;
      return false;
    case 'not':
      return !matchesFilter(node.of, payload);
  }
}

const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
};

function describeTest(t: Test): string {
  switch (t.t) {
    case 'exists':
      return 'present';
    case 'eq':
      return `equal to ${show(t.value)}`;
    case 'in':
      return `one of ${show(t.values)}`;
    case 'cmp':
      return `${{ $gt: '>', $gte: '≥', $lt: '<', $lte: '≤' }[t.op]} ${t.n}`;
  }
}

/** The first value at a path (or undefined), for explanations only. */
function firstAt(path: string[], index: number[], v: unknown): unknown {
  for (let i = 0; i < path.length; i++) {
    if (Array.isArray(v))
      v = index[i] >= 0 ? v[index[i]] : v.map((e) => (isObject(e) ? e[path[i]] : undefined)).find((e) => e !== undefined);
    else if (isObject(v) && Object.hasOwn(v, path[i])) v = v[path[i]];
    else return undefined;
  }
  return v;
}

/** Why a payload does not match: the condition that failed (its place in the filter) and a sentence. Null when it matches. */
export function explainMiss(node: FilterNode, payload: unknown): FilterProblem | null {
  if (matchesFilter(node, payload)) return null;
  switch (node.k) {
    case 'field': {
      const v = firstAt(node.path, node.index, payload);
      const where = node.path.join('.');
      return {
        path: node.at,
        message:
          v === undefined
            ? `${where} is missing; it must be ${describeTest(node.test)}`
            : `${where} is ${show(v)}; it must be ${describeTest(node.test)}`,
      };
    }
    case 'and':
      for (const c of node.of) {
        const miss = explainMiss(c, payload);
        if (miss) return miss;
      }
      return null;
    case 'or':
      return { path: node.at, message: `none of the ${node.of.length} alternatives of ${node.at.at(-1) ?? '$or'} matched` };
    case 'not': {
      const inner = node.of;
      if (inner.k === 'field') {
        const v = firstAt(inner.path, inner.index, payload);
        return {
          path: node.at,
          message: `${inner.path.join('.')} is ${v === undefined ? 'missing' : show(v)}; it must not be ${describeTest(inner.test)}`,
        };
      }
      return { path: node.at, message: 'the condition under $not matched' };
    }
  }
}
