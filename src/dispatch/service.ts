// The dispatch service: publishing events, pings, manual redelivery and
// recovery. Mutations, built-in events and embedding code all use it.
import { fail, invalid, ok, type Result, type UserError } from '../base/errors.js';
import { requireAdmin, type Caller } from '../base/caller.js';
import { newId } from '../base/ids.js';
import { isUniqueViolation } from '../db/errors.js';
import type { AttemptRecord } from '../db/stores/attempts.js';
import { findDelivery, insertUnscheduledDelivery, requeueFailed } from '../db/stores/deliveries.js';
import { eventTypesByIds, insertEvent } from '../db/stores/events.js';
import { findWebhook } from '../db/stores/webhooks.js';
import { isKnownEventType, PING_EVENT_TYPE } from '../domain/catalog.js';
import type { Deps } from '../domain/deps.js';
import { checkManagingApplication, webhookForChange } from '../domain/webhooks/access.js';
import { deeperThan, isPlainObject } from '../domain/webhooks/validation.js';
import { publishAlone, type Published } from '../outbox/publish.js';
import type { Recorder } from './record.js';
import type { Job, Sender } from './sender.js';
import { loadForDelivery } from './worker.js';
import { tracePublish } from './tracing.js';
import { tracingOn } from '../base/tracing.js';

/** The dispatch service also sends pings and manual redeliveries itself. */
export interface DispatchDeps extends Deps {
  sender: Sender;
  recorder: Recorder;
}

export interface PublishOptions {
  idempotencyKey?: string | null;
}

/** Objects and arrays in a payload, counting the payload itself. */
export const MAX_PAYLOAD_DEPTH = 64;

async function checkPublish(deps: Deps, accountId: string, type: string, payload: unknown, opts: PublishOptions): Promise<UserError[]> {
  const errors: UserError[] = [];
  if (!(await isKnownEventType(deps, accountId, type))) {
    errors.push(invalid(['input', 'type'], `Unknown event type "${type}"; add it to the event catalog first`));
  }
  if (!isPlainObject(payload)) errors.push(invalid(['input', 'payload'], 'payload must be a JSON object'));
  // Checked before serialising: JSON.stringify overflows the stack on very deep values.
  else if (deeperThan(payload, MAX_PAYLOAD_DEPTH)) {
    errors.push(invalid(['input', 'payload'], `payload must be nested at most ${MAX_PAYLOAD_DEPTH} levels deep`));
  } else {
    const size = Buffer.byteLength(JSON.stringify(payload));
    const max = deps.config.maxPayloadBytes;
    if (size > max) errors.push(invalid(['input', 'payload'], `payload is ${size} bytes; the limit is ${max}`));
  }
  const key = opts.idempotencyKey;
  if (key !== undefined && key !== null && (key.length === 0 || key.length > 255)) {
    errors.push(invalid(['input', 'idempotencyKey'], 'idempotencyKey must be 1 to 255 characters'));
  }
  return errors;
}

/**
 * Publishes an event: it and one delivery per subscribed active webhook are
 * committed together before this returns, so a crash cannot lose them.
 */
export async function publish(
  deps: Deps,
  accountId: string,
  type: string,
  payload: Record<string, unknown>,
  opts: PublishOptions = {},
): Promise<Result<Published>> {
  if (!tracingOn()) return publishUntraced(deps, accountId, type, payload, opts);
  return tracePublish(accountId, type, () => publishUntraced(deps, accountId, type, payload, opts));
}

async function publishUntraced(
  deps: Deps,
  accountId: string,
  type: string,
  payload: Record<string, unknown>,
  opts: PublishOptions,
): Promise<Result<Published>> {
  const errors = await checkPublish(deps, accountId, type, payload, opts);
  if (errors.length) return { ok: false, errors };
  const req = { accountId, type, payload, idempotencyKey: opts.idempotencyKey };
  const once = () => publishAlone(deps.sql, deps.bus, req, deps.clock.now());
  try {
    return ok(await once());
  } catch (err) {
    // Two publishes raced with one idempotency key: the loser returns the winner's event.
    if (!isUniqueViolation(err) || !opts.idempotencyKey) throw err;
    return ok(await once());
  }
}

export function publishAs(deps: Deps, caller: Caller, type: string, payload: Record<string, unknown>, opts: PublishOptions = {}) {
  return requireAdmin(caller) ?? publish(deps, caller.accountId, type, payload, opts);
}

/** Sends one attempt now, outside the worker, and waits until it is recorded. */
async function attemptNow(deps: DispatchDeps, job: Job): Promise<Result<AttemptRecord>> {
  const { webhooks, events } = await loadForDelivery(deps.sql, [job.webhookId], [job.eventId]);
  const webhook = webhooks.get(job.webhookId);
  const event = events.get(job.eventId);
  if (!webhook || !event) return fail('NOT_FOUND', 'The webhook or event no longer exists', ['id']);
  if (event.payload === null) return fail('INVALID', 'The event payload is past its retention period and can no longer be sent', ['id']);
  const outcome = await deps.sender.attempt(job, webhook, event);
  await deps.recorder.record(outcome);
  return ok(outcome.attempt);
}

export async function pingWebhook(deps: DispatchDeps, caller: Caller, webhookId: string): Promise<Result<AttemptRecord>> {
  const allowed = await webhookForChange(deps, caller, webhookId);
  if (!allowed.ok) return allowed;
  const eventId = newId();
  const deliveryId = newId();
  const now = deps.clock.now();
  await deps.sql.tx(async (tx) => {
    await insertEvent(tx, {
      id: eventId,
      accountId: caller.accountId,
      type: PING_EVENT_TYPE,
      payload: JSON.stringify({ zen: 'Webhooks done right.', webhookId, sentBy: caller.associateName }),
      idempotencyKey: null,
      createdAt: now,
    });
    // No nextAttemptAt: the worker never claims it; the ping is sent here, once.
    await insertUnscheduledDelivery(tx, { id: deliveryId, accountId: caller.accountId, eventId, webhookId, at: now });
  });
  return attemptNow(deps, { deliveryId, accountId: caller.accountId, webhookId, eventId, attemptCount: 0, trigger: 'PING' });
}

export async function redeliver(deps: DispatchDeps, caller: Caller, deliveryId: string): Promise<Result<AttemptRecord>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const delivery = await findDelivery(deps.sql, caller.accountId, deliveryId);
  if (!delivery) return fail('NOT_FOUND', `No delivery with id "${deliveryId}"`, ['deliveryId']);
  const webhook = await findWebhook(deps.sql, caller.accountId, delivery.webhookId);
  const locked = webhook && checkManagingApplication(caller, webhook, ['deliveryId']);
  if (locked) return locked;
  return attemptNow(deps, {
    deliveryId,
    accountId: caller.accountId,
    webhookId: delivery.webhookId,
    eventId: delivery.eventId,
    attemptCount: delivery.attemptCount,
    trigger: 'MANUAL',
  });
}

/** Requeues every delivery of a webhook that failed for good since `since`. */
export async function recoverWebhook(deps: Deps, caller: Caller, webhookId: string, since: Date): Promise<Result<number>> {
  const allowed = await webhookForChange(deps, caller, webhookId);
  if (!allowed.ok) return allowed;
  const now = deps.clock.now();
  if (since > now) return fail('INVALID', 'since must not be in the future', ['since']);
  const count = await deps.sql.tx(async (tx) => {
    const requeued = await requeueFailed(tx, caller.accountId, webhookId, since, now, PING_EVENT_TYPE);
    if (requeued.length) tx.afterCommit('deliveries.due', { accountId: caller.accountId });
    const types = await eventTypesByIds(tx, caller.accountId, [...new Set(requeued.map((d) => d.eventId))]);
    for (const d of requeued) tx.afterCommit('delivery.updated', { ...d, eventType: types.get(d.eventId) ?? '' });
    return requeued.length;
  });
  return ok(count);
}
