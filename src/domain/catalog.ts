// The catalog of event types a webhook can subscribe to: the built-in types
// every account has, plus the custom types its admins add (changed in
// ./eventTypes.ts). Custom types may carry a payload schema and an example.
import { invalid, type UserError } from '../base/errors.js';
import { payloadSchema } from '../base/payloadSchema.js';
import { ALL_EVENTS } from '../db/stores/events.js';
import { listCustomEventTypes, type EventType } from '../db/stores/eventTypes.js';
import type { Deps } from './deps.js';

export { ALL_EVENTS };

export interface EventTypeInfo {
  id: string;
  name: string;
  group: string;
  description: string;
  builtIn: boolean;
  /** The payload's JSON Schema and an example payload, as saved (JSON text), or null. */
  schema: string | null;
  example: string | null;
}

const builtIn = (name: string, group: string, description: string): EventTypeInfo => ({
  id: `builtin:${name}`,
  name,
  group,
  description,
  builtIn: true,
  schema: null,
  example: null,
});

export const BUILT_IN_EVENT_TYPES: readonly EventTypeInfo[] = [
  builtIn('associate.created', 'Users', 'A user was added to the account'),
  builtIn('associate.updated', 'Users', 'A user was changed'),
  builtIn('associate.deleted', 'Users', 'A user was removed'),
  // The admin console's other actor types. A console link is Hookline's
  // invitation: it lets someone into the account with a role.
  builtIn('invite.created', 'Invites', 'An invitation (console link) was created'),
  builtIn('invite.deleted', 'Invites', 'An invitation (console link) was revoked'),
  builtIn('role.changed', 'Roles', "A user's role changed"),
  builtIn('api_key.created', 'API keys', 'An API key was created'),
  builtIn('api_key.revoked', 'API keys', 'An API key was revoked'),
  builtIn('webhook.created', 'Webhooks', 'A webhook was created'),
  builtIn('webhook.updated', 'Webhooks', 'A webhook was changed'),
  builtIn('webhook.deleted', 'Webhooks', 'A webhook was deleted'),
  builtIn('webhook.state_changed', 'State changes', "A webhook's state changed"),
  builtIn('bulk_operation.finished', 'Bulk operations', 'A bulk retry or replay finished, was cancelled or failed'),
];

/** Sent by pingWebhook only; not subscribable, so not in the catalog. */
export const PING_EVENT_TYPE = 'webhook.ping';

export const builtInNames: ReadonlySet<string> = new Set(BUILT_IN_EVENT_TYPES.map((e) => e.name));

const byGroupThenName = (a: EventTypeInfo, b: EventTypeInfo) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name);

export const customInfo = (c: EventType): EventTypeInfo => ({
  id: c.id,
  name: c.name,
  group: c.group,
  description: c.description,
  builtIn: false,
  schema: c.schema,
  example: c.example,
});

/** The account's whole catalog, built-in and custom, by group then name. */
export async function catalogOf(deps: Pick<Deps, 'sql'>, accountId: string): Promise<EventTypeInfo[]> {
  const custom = await listCustomEventTypes(deps.sql, accountId);
  return [...BUILT_IN_EVENT_TYPES, ...custom.map(customInfo)].sort(byGroupThenName);
}

export async function listEventTypes(deps: Pick<Deps, 'sql'>, accountId: string, group?: string | null): Promise<EventTypeInfo[]> {
  return (await catalogOf(deps, accountId)).filter((e) => !group || e.group === group);
}

/** The account's custom event types by name, cached until the catalog changes. */
async function customTypes(deps: Pick<Deps, 'sql' | 'caches'>, accountId: string): Promise<Map<string, EventType>> {
  let types = deps.caches.catalog.get(accountId);
  if (!types) {
    types = new Map((await listCustomEventTypes(deps.sql, accountId)).map((e) => [e.name, e]));
    deps.caches.catalog.set(accountId, types);
  }
  return types;
}

/** Errors for each name in `events` that is not "*" and not in the catalog. */
export async function checkEventNames(
  deps: Pick<Deps, 'sql' | 'caches'>,
  accountId: string,
  events: string[],
  field: string[],
): Promise<UserError[]> {
  if (events.length === 0) return [invalid(field, 'events must list at least one event type, or "*"')];
  const unknown = events.filter((e) => e !== ALL_EVENTS && !builtInNames.has(e));
  if (unknown.length === 0) return [];
  const known = await customTypes(deps, accountId);
  return unknown.filter((e) => !known.has(e)).map((e) => invalid(field, `Unknown event type "${e}"; add it to the event catalog first`));
}

/** The catalog entry named `name` (built-in or custom), or null. Cached: publishing looks it up every time. */
export async function findCatalogType(deps: Pick<Deps, 'sql' | 'caches'>, accountId: string, name: string): Promise<EventTypeInfo | null> {
  if (builtInNames.has(name)) return BUILT_IN_EVENT_TYPES.find((e) => e.name === name)!;
  const custom = (await customTypes(deps, accountId)).get(name);
  return custom ? customInfo(custom) : null;
}

export async function isKnownEventType(deps: Pick<Deps, 'sql' | 'caches'>, accountId: string, name: string): Promise<boolean> {
  return builtInNames.has(name) || (await customTypes(deps, accountId)).has(name);
}

/** Where a payload problem is, as a sentence's subject: "payload.customer.email". */
const where = (path: readonly string[]) => ['payload', ...path].join('.');

/**
 * Errors for a payload that does not match its type's schema (none without
 * a schema), naming the failing path: field ["input", "payload", …path].
 */
export function checkAgainstSchema(type: EventTypeInfo, payload: unknown, field: string[]): UserError[] {
  if (!type.schema) return [];
  const schema = payloadSchema(type.schema);
  // A saved schema always compiled when it was saved; should one not (older rules), it checks nothing rather than block publishing.
  if (!schema.ok) return [];
  const problem = schema.validate(payload);
  return problem ? [invalid([...field, ...problem.path], `${where(problem.path)} ${problem.message} (schema of "${type.name}")`)] : [];
}
