// The dispatch service: publishing events, pings, manual redelivery and
// recovery. Mutations, built-in events and embedding code all use it.
import { fail, ok, type Result } from '../base/errors.js';
import { requireAdmin, type Caller } from '../base/caller.js';
import { deliveryLeaseMs } from '../base/config.js';
import { newId } from '../base/ids.js';
import { isUniqueViolation } from '../db/errors.js';
import type { AttemptRecord } from '../db/stores/attempts.js';
import { findDelivery, insertUnscheduledDelivery, requeueFailed } from '../db/stores/deliveries.js';
import { eventTypesByIds, insertDeliveryTo, insertEvent, type StoredEvent } from '../db/stores/events.js';
import { findWebhook } from '../db/stores/webhooks.js';
import { hintsOf } from '../db/events.js';
import { findCatalogType, PING_EVENT_TYPE, type EventTypeInfo } from '../domain/catalog.js';
import { checkPublish, type PublishOptions } from '../domain/eventInput.js';
import type { Deps } from '../domain/deps.js';
import { checkManagingApplication, webhookForChange } from '../domain/webhooks/access.js';
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

export type { PublishOptions };

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
  const channels = opts.channels ? [...new Set(opts.channels)] : null;
  const req = { accountId, type, payload, channels, idempotencyKey: opts.idempotencyKey };
  const self = { room: deps.deliveryRoom, owner: deps.config.instanceId, leaseMs: deliveryLeaseMs(deps.config) };
  const once = () => publishAlone(deps.sql, deps.bus, req, deps.clock.now(), self);
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

/** The catalog type `type` with its example payload, or an error naming `field`. */
async function typeWithExample(
  deps: Deps,
  accountId: string,
  type: string,
  field: string[],
): Promise<Result<{ info: EventTypeInfo; example: string }>> {
  const info = await findCatalogType(deps, accountId, type);
  if (!info) return fail('NOT_FOUND', `Unknown event type "${type}"`, field);
  if (!info.example) return fail('INVALID', `Event type "${type}" has no example payload; set one with updateEventType`, field);
  return ok({ info, example: info.example });
}

/**
 * Sends one event to this webhook now and returns the attempt: a
 * webhook.ping, or with `type`, an event of that type carrying its example
 * payload (whatever the webhook subscribes to). Never retried.
 */
export async function pingWebhook(
  deps: DispatchDeps,
  caller: Caller,
  webhookId: string,
  type?: string | null,
): Promise<Result<AttemptRecord>> {
  const allowed = await webhookForChange(deps, caller, webhookId);
  if (!allowed.ok) return allowed;
  const example = type != null ? await typeWithExample(deps, caller.accountId, type, ['type']) : null;
  if (example && !example.ok) return example;
  const eventId = newId();
  const deliveryId = newId();
  const now = deps.clock.now();
  await deps.sql.tx(async (tx) => {
    await insertEvent(tx, {
      id: eventId,
      accountId: caller.accountId,
      type: example ? type! : PING_EVENT_TYPE,
      payload: example ? example.value.example : JSON.stringify({ zen: 'Webhooks done right.', webhookId, sentBy: caller.associateName }),
      channels: null,
      idempotencyKey: null,
      createdAt: now,
    });
    // No nextAttemptAt: the worker never claims it; the ping is sent here, once.
    await insertUnscheduledDelivery(tx, { id: deliveryId, accountId: caller.accountId, eventId, webhookId, at: now });
  });
  return attemptNow(deps, { deliveryId, accountId: caller.accountId, webhookId, eventId, attemptCount: 0, trigger: 'PING' });
}

/**
 * Publishes an event of `type` with its example payload to this one webhook
 * only (whatever its subscriptions, channels and filter), as an ordinary
 * delivery: queued, retried, in the delivery log. It waits while the webhook
 * is not active.
 */
export async function sendExampleEvent(
  deps: Deps,
  caller: Caller,
  webhookId: string,
  type: string,
): Promise<Result<{ event: StoredEvent; deliveryId: string }>> {
  const allowed = await webhookForChange(deps, caller, webhookId, ['webhookId']);
  if (!allowed.ok) return allowed;
  const example = await typeWithExample(deps, caller.accountId, type, ['type']);
  if (!example.ok) return example;
  const event: StoredEvent = {
    id: newId(),
    accountId: caller.accountId,
    type,
    payload: example.value.example,
    channels: null,
    idempotencyKey: null,
    createdAt: deps.clock.now(),
  };
  const deliveryId = newId();
  await deps.sql.tx(async (tx) => {
    await insertEvent(tx, event);
    const row = await insertDeliveryTo(tx, event, webhookId, deliveryId);
    tx.afterCommit('deliveries.due', { accountId: caller.accountId, hints: hintsOf(caller.accountId, [row]) });
  });
  return ok({ event, deliveryId });
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
