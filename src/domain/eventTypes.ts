// Changes to an account's custom event types: create, update (description,
// group, schema, example) and delete. Built-in types are fixed. Every change
// commits with catalog.changed, which drops the cached catalog on every
// instance (src/domain/caches.ts).
import { fail, invalid, ok, type Result, type UserError } from '../base/errors.js';
import { requireAdmin, type Caller } from '../base/caller.js';
import { NAME_PATTERN } from '../base/channels.js';
import { newId } from '../base/ids.js';
import { deeperThan, isPlainObject } from '../base/json.js';
import { checkSchemaDocument, payloadSchema, type JsonProblem } from '../base/payloadSchema.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Tx } from '../db/sql.js';
import {
  deleteUnusedEventType,
  eventTypeExists,
  findEventType,
  insertEventType,
  subscriberCount,
  updateEventTypeRow,
  type EventType,
} from '../db/stores/eventTypes.js';
import { builtInNames, customInfo, PING_EVENT_TYPE, type EventTypeInfo } from './catalog.js';
import type { Deps } from './deps.js';

/** Objects and arrays in an example payload, as in a published one (src/dispatch/service.ts). */
const MAX_EXAMPLE_DEPTH = 64;

export interface CreateEventTypeInput {
  name: string;
  group: string;
  description?: string | null;
  /** A JSON Schema (an object); null or absent: none. */
  schema?: unknown;
  /** An example payload (an object), valid against the schema; null or absent: none. */
  example?: unknown;
}

export interface UpdateEventTypeInput {
  group?: string | null;
  description?: string | null;
  /** Replaces the schema; null removes it, absent leaves it. */
  schema?: unknown;
  /** Replaces the example; null removes it, absent leaves it. */
  example?: unknown;
}

const at = (field: string[], path: readonly string[]) => [...field, ...path];
const problems = (field: string[], list: JsonProblem[]) => list.map((p) => invalid(at(field, p.path), p.message));

/** The schema's JSON text (null: none), or errors naming the bad path under `field`. */
function checkSchema(schema: unknown, field: string[]): { text: string | null; errors: UserError[] } {
  if (schema === null || schema === undefined) return { text: null, errors: [] };
  const early = checkSchemaDocument(schema);
  if (early.length) return { text: null, errors: problems(field, early) };
  const text = JSON.stringify(schema);
  const compiled = payloadSchema(text);
  return compiled.ok ? { text, errors: [] } : { text: null, errors: problems(field, compiled.problems.slice(0, 1)) };
}

/** The example's JSON text (null: none), or errors; it must match `schemaText` when there is one. */
function checkExample(
  deps: Deps,
  example: unknown,
  schemaText: string | null,
  field: string[],
): { text: string | null; errors: UserError[] } {
  if (example === null || example === undefined) return { text: null, errors: [] };
  if (!isPlainObject(example)) return { text: null, errors: [invalid(field, 'example must be a JSON object, like a payload')] };
  if (deeperThan(example, MAX_EXAMPLE_DEPTH)) {
    return { text: null, errors: [invalid(field, `example must be nested at most ${MAX_EXAMPLE_DEPTH} levels deep`)] };
  }
  const text = JSON.stringify(example);
  const size = Buffer.byteLength(text);
  if (size > deps.config.maxPayloadBytes) {
    return { text: null, errors: [invalid(field, `example is ${size} bytes; payloads are limited to ${deps.config.maxPayloadBytes}`)] };
  }
  return { text, errors: schemaText ? exampleMismatch(schemaText, text, field) : [] };
}

/** An error when the example (JSON text) does not match the schema (JSON text), naming the failing path. */
function exampleMismatch(schemaText: string, exampleText: string, field: string[]): UserError[] {
  const schema = payloadSchema(schemaText);
  const problem = schema.ok ? schema.validate(JSON.parse(exampleText)) : null;
  return problem ? [invalid(at(field, problem.path), `${['example', ...problem.path].join('.')} ${problem.message}`)] : [];
}

function checkGroupAndDescription(group: string | null | undefined, description: string | null | undefined): UserError[] {
  const errors: UserError[] = [];
  if (group != null && (group.trim().length === 0 || group.trim().length > 100)) {
    errors.push(invalid(['input', 'group'], 'group must be 1 to 100 characters'));
  }
  if ((description ?? '').length > 500) errors.push(invalid(['input', 'description'], 'description must be at most 500 characters'));
  return errors;
}

function changed(tx: Tx, accountId: string) {
  tx.afterCommit('catalog.changed', { accountId });
}

export async function createEventType(deps: Deps, caller: Caller, input: CreateEventTypeInput): Promise<Result<EventTypeInfo>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const name = input.name.trim();
  const errors = checkGroupAndDescription(input.group, input.description);
  if (!NAME_PATTERN.test(name)) {
    errors.unshift(
      invalid(['input', 'name'], 'name must be 1 to 100 letters, digits, ".", "_", "-" or ":" (such as contact.created or CITA_CREATED)'),
    );
  }
  const schema = checkSchema(input.schema, ['input', 'schema']);
  const example = schema.errors.length ? { text: null, errors: [] } : checkExample(deps, input.example, schema.text, ['input', 'example']);
  errors.push(...schema.errors, ...example.errors);
  if (errors.length) return { ok: false, errors };
  if (builtInNames.has(name) || name === PING_EVENT_TYPE) {
    return fail('CONFLICT', `"${name}" is a built-in event type`, ['input', 'name']);
  }
  const conflict = () => fail('CONFLICT', `Event type "${name}" already exists`, ['input', 'name']);
  if (await eventTypeExists(deps.sql, caller.accountId, name)) return conflict();
  const row: EventType = {
    id: newId(),
    accountId: caller.accountId,
    name,
    group: input.group.trim(),
    description: input.description ?? '',
    schema: schema.text,
    example: example.text,
    createdAt: deps.clock.now(),
  };
  try {
    await deps.sql.tx(async (tx) => {
      await insertEventType(tx, row);
      changed(tx, caller.accountId);
    });
  } catch (err) {
    // A concurrent request added the same name between the check and the insert.
    if (isUniqueViolation(err)) return conflict();
    throw err;
  }
  return ok(customInfo(row));
}

/** The custom type `id` of the caller's account, for a change; built-in types cannot be changed. */
async function typeForChange(deps: Deps, caller: Caller, id: string): Promise<Result<EventType>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  if (id.startsWith('builtin:')) return fail('INVALID', 'Built-in event types cannot be changed or deleted', ['id']);
  const row = await findEventType(deps.sql, caller.accountId, id);
  return row ? ok(row) : fail('NOT_FOUND', `No event type with id "${id}"`, ['id']);
}

export async function updateEventType(deps: Deps, caller: Caller, id: string, input: UpdateEventTypeInput): Promise<Result<EventTypeInfo>> {
  const loaded = await typeForChange(deps, caller, id);
  if (!loaded.ok) return loaded;
  const current = loaded.value;
  const errors = checkGroupAndDescription(input.group, input.description);
  const schema = input.schema === undefined ? { text: current.schema, errors: [] } : checkSchema(input.schema, ['input', 'schema']);
  errors.push(...schema.errors);
  let exampleText = current.example;
  if (!schema.errors.length) {
    if (input.example !== undefined) {
      const example = checkExample(deps, input.example, schema.text, ['input', 'example']);
      errors.push(...example.errors);
      exampleText = example.text;
    } else if (input.schema !== undefined && schema.text && current.example) {
      // A new schema must accept the example that stays.
      const mismatch = exampleMismatch(schema.text, current.example, ['input', 'schema']);
      if (mismatch.length)
        errors.push(invalid(['input', 'schema'], `the saved example does not match the new schema: ${mismatch[0].message}`));
    }
  }
  if (errors.length) return { ok: false, errors };
  const row = await deps.sql.tx(async (tx) => {
    const updated = await updateEventTypeRow(tx, caller.accountId, id, {
      group: input.group?.trim() ?? undefined,
      description: input.description ?? undefined,
      schema: input.schema === undefined ? undefined : schema.text,
      example: input.example === undefined ? undefined : exampleText,
    });
    if (updated) changed(tx, caller.accountId);
    return updated;
  });
  return row ? ok(customInfo(row)) : fail('NOT_FOUND', `No event type with id "${id}"`, ['id']);
}

/** Deletes a custom type; refused (CONFLICT) while a webhook subscribes to it by name. Events already published keep their type. */
export async function deleteEventType(deps: Deps, caller: Caller, id: string): Promise<Result<string>> {
  const loaded = await typeForChange(deps, caller, id);
  if (!loaded.ok) return loaded;
  const { name } = loaded.value;
  const deleted = await deps.sql.tx(async (tx) => {
    const gone = await deleteUnusedEventType(tx, caller.accountId, id, name);
    if (gone) changed(tx, caller.accountId);
    return gone;
  });
  if (deleted) return ok(id);
  const n = await subscriberCount(deps.sql, caller.accountId, name);
  if (n === 0) return fail('NOT_FOUND', `No event type with id "${id}"`, ['id']);
  return fail(
    'CONFLICT',
    `${n} webhook${n === 1 ? '' : 's'} subscribe${n === 1 ? 's' : ''} to "${name}"; remove it from their events first`,
    ['id'],
  );
}
