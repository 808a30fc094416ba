// The catalog of event types a webhook can subscribe to: the built-in types
// every account has, plus the custom types its admins add.
import { isUniqueViolation } from '../db/errors.js';
import { fail, invalid, ok, type Result, type UserError } from '../base/errors.js';
import { requireAdmin, type Caller } from '../base/caller.js';
import { newId } from '../base/ids.js';
import { ALL_EVENTS } from '../db/stores/events.js';
import { eventTypeExists, insertEventType, listCustomEventTypes } from '../db/stores/eventTypes.js';
import type { Deps } from './deps.js';

export { ALL_EVENTS };

export interface EventTypeInfo {
  id: string;
  name: string;
  group: string;
  description: string;
  builtIn: boolean;
}

const builtIn = (name: string, group: string, description: string): EventTypeInfo => ({
  id: `builtin:${name}`,
  name,
  group,
  description,
  builtIn: true,
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

const builtInNames = new Set(BUILT_IN_EVENT_TYPES.map((e) => e.name));
const EVENT_NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

const byGroupThenName = (a: EventTypeInfo, b: EventTypeInfo) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name);

/** The account's whole catalog, built-in and custom, by group then name. */
export async function catalogOf(deps: Pick<Deps, 'sql'>, accountId: string): Promise<EventTypeInfo[]> {
  const custom = await listCustomEventTypes(deps.sql, accountId);
  const all = [
    ...BUILT_IN_EVENT_TYPES,
    ...custom.map((c) => ({ id: c.id, name: c.name, group: c.group, description: c.description, builtIn: false })),
  ];
  return all.sort(byGroupThenName);
}

export async function listEventTypes(deps: Pick<Deps, 'sql'>, accountId: string, group?: string | null): Promise<EventTypeInfo[]> {
  return (await catalogOf(deps, accountId)).filter((e) => !group || e.group === group);
}

/** Errors for each name in `events` that is not "*" and not in the catalog. */
/** The account's custom event type names, cached until the catalog changes. */
async function customNames(deps: Pick<Deps, 'sql' | 'caches'>, accountId: string): Promise<Set<string>> {
  let names = deps.caches.catalog.get(accountId);
  if (!names) {
    names = new Set((await listCustomEventTypes(deps.sql, accountId)).map((e) => e.name));
    deps.caches.catalog.set(accountId, names);
  }
  return names;
}

export async function checkEventNames(
  deps: Pick<Deps, 'sql' | 'caches'>,
  accountId: string,
  events: string[],
  field: string[],
): Promise<UserError[]> {
  if (events.length === 0) return [invalid(field, 'events must list at least one event type, or "*"')];
  const unknown = events.filter((e) => e !== ALL_EVENTS && !builtInNames.has(e));
  if (unknown.length === 0) return [];
  const known = await customNames(deps, accountId);
  return unknown.filter((e) => !known.has(e)).map((e) => invalid(field, `Unknown event type "${e}"; add it to the event catalog first`));
}

export async function isKnownEventType(deps: Pick<Deps, 'sql' | 'caches'>, accountId: string, name: string): Promise<boolean> {
  return builtInNames.has(name) || (await customNames(deps, accountId)).has(name);
}

export interface CreateEventTypeInput {
  name: string;
  group: string;
  description?: string | null;
}

export async function createEventType(deps: Deps, caller: Caller, input: CreateEventTypeInput): Promise<Result<EventTypeInfo>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const name = input.name.trim();
  const group = input.group.trim();
  const errors: UserError[] = [];
  if (!EVENT_NAME.test(name) || name.length > 100) {
    errors.push(
      invalid(['input', 'name'], 'name must look like "resource.action": lower-case words joined by dots, at most 100 characters'),
    );
  }
  if (group.length === 0 || group.length > 100) errors.push(invalid(['input', 'group'], 'group must be 1 to 100 characters'));
  if ((input.description ?? '').length > 500) errors.push(invalid(['input', 'description'], 'description must be at most 500 characters'));
  if (errors.length) return { ok: false, errors };
  if (builtInNames.has(name) || name === PING_EVENT_TYPE) {
    return fail('CONFLICT', `"${name}" is a built-in event type`, ['input', 'name']);
  }
  const conflict = () => fail('CONFLICT', `Event type "${name}" already exists`, ['input', 'name']);
  if (await eventTypeExists(deps.sql, caller.accountId, name)) return conflict();
  const row = { id: newId(), accountId: caller.accountId, name, group, description: input.description ?? '', createdAt: deps.clock.now() };
  try {
    await deps.sql.tx(async (tx) => {
      await insertEventType(tx, row);
      tx.afterCommit('catalog.changed', { accountId: caller.accountId });
    });
  } catch (err) {
    // A concurrent request added the same name between the check and the insert.
    if (isUniqueViolation(err)) return conflict();
    throw err;
  }
  return ok({ id: row.id, name: row.name, group: row.group, description: row.description, builtIn: false });
}
