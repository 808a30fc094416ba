// The delivery log's filters, checked once and described plainly. A checked
// filter is a plain value: the stores turn it into SQL (src/db/stores/log.ts),
// live streams test events against it (matchesAttempt, matchesDelivery), and
// bulk operations can store and describe it (describeFilter). Pure, unit-
// tested in test/unit/log-filter.test.ts.
import { GraphQLError } from 'graphql';
import type { AttemptStatus, AttemptTrigger, DeliveryStatus } from '../../generated/prisma/enums.js';
import type { ErrorClass } from '../../dispatch/policy.js';

/** How much of a response body free-text search looks at (characters). */
export const SEARCH_PREFIX = 1024;
/** Most values in one list of a filter. */
export const MAX_LIST = 100;
export const MAX_SEARCH = 200;

export interface DeliveryFilterInput {
  webhookIds?: readonly string[] | null;
  eventTypes?: readonly string[] | null;
  eventId?: string | null;
  statuses?: readonly DeliveryStatus[] | null;
  from?: Date | null;
  to?: Date | null;
}

export interface DeliveryAttemptFilterInput {
  webhookIds?: readonly string[] | null;
  eventTypes?: readonly string[] | null;
  eventId?: string | null;
  statuses?: readonly AttemptStatus[] | null;
  triggers?: readonly AttemptTrigger[] | null;
  httpStatusFrom?: number | null;
  httpStatusTo?: number | null;
  errorClasses?: readonly ErrorClass[] | null;
  from?: Date | null;
  to?: Date | null;
  search?: string | null;
}

/** A checked delivery filter: null means "any". */
export interface DeliveryFilter {
  webhookIds: string[] | null;
  eventTypes: string[] | null;
  eventId: string | null;
  statuses: DeliveryStatus[] | null;
  /** createdAt >= from */
  from: Date | null;
  /** createdAt < to */
  to: Date | null;
}

/** A checked attempt filter: null means "any"; search is lower-cased. */
export interface AttemptFilter {
  webhookIds: string[] | null;
  eventTypes: string[] | null;
  eventId: string | null;
  statuses: AttemptStatus[] | null;
  triggers: AttemptTrigger[] | null;
  httpStatusFrom: number | null;
  httpStatusTo: number | null;
  errorClasses: ErrorClass[] | null;
  from: Date | null;
  to: Date | null;
  search: string | null;
}

const bad = (path: string[], message: string) =>
  new GraphQLError(`${path.join('.')} ${message}`, { extensions: { code: 'BAD_USER_INPUT', field: path } });

function list<T extends string>(arg: string, name: string, values: readonly T[] | null | undefined): T[] | null {
  if (values == null) return null;
  if (!values.length) throw bad([arg, name], 'must not be empty: leave it out to match any');
  if (values.length > MAX_LIST) throw bad([arg, name], `may hold at most ${MAX_LIST} values`);
  for (const v of values) if (v.includes('\u0000')) throw bad([arg, name], 'must not contain the NUL character (U+0000)');
  return [...new Set(values)];
}

function text(arg: string, name: string, value: string | null | undefined, max: number): string | null {
  if (value == null) return null;
  if (!value.length || value.length > max) throw bad([arg, name], `must be 1 to ${max} characters`);
  if (value.includes('\u0000')) throw bad([arg, name], 'must not contain the NUL character (U+0000)');
  return value;
}

function timeRange(arg: string, from: Date | null | undefined, to: Date | null | undefined) {
  if (from && to && to < from) throw bad([arg, 'to'], `must not be before ${arg}.from`);
  return { from: from ?? null, to: to ?? null };
}

/** Checks a DeliveryFilter argument named `arg`; throws BAD_USER_INPUT naming the field. */
export function parseDeliveryFilter(input: DeliveryFilterInput | null | undefined, arg = 'filter'): DeliveryFilter {
  const i = input ?? {};
  return {
    webhookIds: list(arg, 'webhookIds', i.webhookIds),
    eventTypes: list(arg, 'eventTypes', i.eventTypes),
    eventId: text(arg, 'eventId', i.eventId, 64),
    statuses: list(arg, 'statuses', i.statuses),
    ...timeRange(arg, i.from, i.to),
  };
}

/** Checks a DeliveryAttemptFilter argument named `arg`; throws BAD_USER_INPUT naming the field. */
export function parseAttemptFilter(input: DeliveryAttemptFilterInput | null | undefined, arg = 'filter'): AttemptFilter {
  const i = input ?? {};
  for (const name of ['httpStatusFrom', 'httpStatusTo'] as const) {
    const v = i[name];
    if (v != null && (!Number.isInteger(v) || v < 100 || v > 599)) throw bad([arg, name], 'must be an HTTP status code from 100 to 599');
  }
  if (i.httpStatusFrom != null && i.httpStatusTo != null && i.httpStatusTo < i.httpStatusFrom) {
    throw bad([arg, 'httpStatusTo'], `must not be below ${arg}.httpStatusFrom`);
  }
  const search = text(arg, 'search', i.search, MAX_SEARCH);
  return {
    webhookIds: list(arg, 'webhookIds', i.webhookIds),
    eventTypes: list(arg, 'eventTypes', i.eventTypes),
    eventId: text(arg, 'eventId', i.eventId, 64),
    statuses: list(arg, 'statuses', i.statuses),
    triggers: list(arg, 'triggers', i.triggers),
    httpStatusFrom: i.httpStatusFrom ?? null,
    httpStatusTo: i.httpStatusTo ?? null,
    errorClasses: list(arg, 'errorClasses', i.errorClasses),
    ...timeRange(arg, i.from, i.to),
    search: search === null ? null : search.toLowerCase(),
  };
}

/**
 * A checked filter narrowed by the shorthand arguments (webhookId, status)
 * kept from before there was a filter: both must hold, so a shorthand the
 * filter's own list leaves out matches nothing (an empty list).
 */
export function withShorthands<F extends { webhookIds: string[] | null; statuses: string[] | null }>(
  f: F,
  s: { webhookId?: string | null; status?: string | null },
): F {
  const narrow = (list: string[] | null, v: string | null | undefined) => (v == null ? list : list ? list.filter((x) => x === v) : [v]);
  return { ...f, webhookIds: narrow(f.webhookIds, s.webhookId), statuses: narrow(f.statuses, s.status) as F['statuses'] };
}

const inTime = (f: { from: Date | null; to: Date | null }, at: Date | string) => {
  const t = new Date(at).getTime();
  return (!f.from || t >= f.from.getTime()) && (!f.to || t < f.to.getTime());
};
const has = <T>(values: readonly T[] | null, v: T) => !values || values.includes(v);

/** Whether a live attempt (with its event's id and type) passes the filter: the SQL's conditions, in JavaScript. */
export function matchesAttempt(
  f: AttemptFilter,
  a: {
    webhookId: string;
    eventId: string;
    eventType: string;
    status: AttemptStatus;
    trigger: AttemptTrigger;
    responseStatus: number | null;
    errorClass: string | null;
    responseBody: string | null;
    createdAt: Date | string;
  },
): boolean {
  return (
    has(f.webhookIds, a.webhookId) &&
    has(f.eventTypes, a.eventType) &&
    (!f.eventId || f.eventId === a.eventId) &&
    has(f.statuses, a.status) &&
    has(f.triggers, a.trigger) &&
    (f.httpStatusFrom === null || (a.responseStatus !== null && a.responseStatus >= f.httpStatusFrom)) &&
    (f.httpStatusTo === null || (a.responseStatus !== null && a.responseStatus <= f.httpStatusTo)) &&
    (!f.errorClasses || (a.status === 'FAILED' && f.errorClasses.includes(a.errorClass as ErrorClass))) &&
    inTime(f, a.createdAt) &&
    (!f.search || (a.responseBody ?? '').slice(0, SEARCH_PREFIX).toLowerCase().includes(f.search))
  );
}

/** Whether a live delivery (with its event's type) passes the filter. */
export function matchesDelivery(
  f: DeliveryFilter,
  d: { webhookId: string; eventId: string; eventType: string; status: DeliveryStatus; createdAt: Date | string },
): boolean {
  return (
    has(f.webhookIds, d.webhookId) &&
    has(f.eventTypes, d.eventType) &&
    (!f.eventId || f.eventId === d.eventId) &&
    has(f.statuses, d.status) &&
    inTime(f, d.createdAt)
  );
}

/** A plain-language description of a checked filter ("any" when it has no conditions), for bulk operations and logs. */
export function describeFilter(f: Partial<AttemptFilter> & Partial<DeliveryFilter>): string {
  const parts: string[] = [];
  const one = (label: string, values: readonly unknown[] | null | undefined) => values && parts.push(`${label} ${values.join(' or ')}`);
  one('webhook', f.webhookIds);
  one('event type', f.eventTypes);
  if (f.eventId) parts.push(`event ${f.eventId}`);
  one('status', f.statuses as readonly unknown[] | null | undefined);
  one('trigger', f.triggers);
  if (f.httpStatusFrom != null || f.httpStatusTo != null) parts.push(`HTTP status ${f.httpStatusFrom ?? 100}–${f.httpStatusTo ?? 599}`);
  one('error', f.errorClasses);
  if (f.from) parts.push(`from ${f.from.toISOString()}`);
  if (f.to) parts.push(`before ${f.to.toISOString()}`);
  if (f.search) parts.push(`response body containing ${JSON.stringify(f.search)}`);
  return parts.length ? parts.join(', ') : 'any';
}
