// The catalog of event types a webhook can subscribe to: the built-in types
// every account has, plus the custom types its admins add.
import { prisma } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { fail, invalid, ok, type Result, type UserError } from '../errors.js';
import { requireAdmin, type Caller } from '../auth/caller.js';
import { newId } from '../security/ids.js';

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
  builtIn('api_key.created', 'API keys', 'An API key was created'),
  builtIn('api_key.revoked', 'API keys', 'An API key was revoked'),
  builtIn('webhook.created', 'Webhooks', 'A webhook was created'),
  builtIn('webhook.updated', 'Webhooks', 'A webhook was changed'),
  builtIn('webhook.deleted', 'Webhooks', 'A webhook was deleted'),
  builtIn('webhook.state_changed', 'State changes', "A webhook's state changed"),
];

/** Sent by pingWebhook only; not subscribable, so not in the catalog. */
export const PING_EVENT_TYPE = 'webhook.ping';
export const ALL_EVENTS = '*';

const builtInNames = new Set(BUILT_IN_EVENT_TYPES.map((e) => e.name));
const EVENT_NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

const byGroupThenName = (a: EventTypeInfo, b: EventTypeInfo) =>
  a.group.localeCompare(b.group) || a.name.localeCompare(b.name);

export async function listEventTypes(accountId: string, group?: string | null): Promise<EventTypeInfo[]> {
  const custom = await prisma.eventType.findMany({ where: { accountId, ...(group ? { group } : {}) } });
  const all = [
    ...BUILT_IN_EVENT_TYPES.filter((e) => !group || e.group === group),
    ...custom.map((c) => ({ id: c.id, name: c.name, group: c.group, description: c.description, builtIn: false })),
  ];
  return all.sort(byGroupThenName);
}

/** Errors for each name in `events` that is not "*" and not in the catalog. */
export async function checkEventNames(accountId: string, events: string[], field: string[]): Promise<UserError[]> {
  if (events.length === 0) return [invalid(field, 'events must list at least one event type, or "*"')];
  const unknown = events.filter((e) => e !== ALL_EVENTS && !builtInNames.has(e));
  if (unknown.length === 0) return [];
  const found = await prisma.eventType.findMany({
    where: { accountId, name: { in: unknown } },
    select: { name: true },
  });
  const known = new Set(found.map((f) => f.name));
  return unknown
    .filter((e) => !known.has(e))
    .map((e) => invalid(field, `Unknown event type "${e}"; add it to the event catalog first`));
}

export async function isKnownEventType(accountId: string, name: string): Promise<boolean> {
  if (builtInNames.has(name)) return true;
  return (await prisma.eventType.count({ where: { accountId, name } })) > 0;
}

export interface CreateEventTypeInput {
  name: string;
  group: string;
  description?: string | null;
}

export async function createEventType(caller: Caller, input: CreateEventTypeInput): Promise<Result<EventTypeInfo>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const name = input.name.trim();
  const group = input.group.trim();
  const errors: UserError[] = [];
  if (!EVENT_NAME.test(name) || name.length > 100) {
    errors.push(invalid(['input', 'name'], 'name must look like "resource.action": lower-case words joined by dots, at most 100 characters'));
  }
  if (group.length === 0 || group.length > 100) errors.push(invalid(['input', 'group'], 'group must be 1 to 100 characters'));
  if ((input.description ?? '').length > 500) errors.push(invalid(['input', 'description'], 'description must be at most 500 characters'));
  if (errors.length) return { ok: false, errors };
  if (builtInNames.has(name) || name === PING_EVENT_TYPE) {
    return fail('CONFLICT', `"${name}" is a built-in event type`, ['input', 'name']);
  }
  const exists = await prisma.eventType.findUnique({ where: { accountId_name: { accountId: caller.accountId, name } } });
  const conflict = () => fail('CONFLICT', `Event type "${name}" already exists`, ['input', 'name']);
  if (exists) return conflict();
  let row;
  try {
    row = await prisma.eventType.create({
      data: { id: newId(), accountId: caller.accountId, name, group, description: input.description ?? '' },
    });
  } catch (err) {
    // A concurrent request added the same name between the check and the insert.
    if (isUniqueViolation(err)) return conflict();
    throw err;
  }
  return ok({ id: row.id, name: row.name, group: row.group, description: row.description, builtIn: false });
}
