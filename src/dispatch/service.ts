// The dispatch service: publishing events, pings, manual redelivery and
// recovery. Mutations, built-in events and embedding code all use it.
import { prisma } from '../db/client.js';
import { config } from '../config.js';
import { fail, invalid, ok, type Result, type UserError } from '../errors.js';
import { requireAdmin, type Caller } from '../auth/caller.js';
import { isKnownEventType, PING_EVENT_TYPE } from '../events/catalog.js';
import { newId } from '../security/ids.js';
import { attempt, type Job, type LiveAttempt } from './attempts.js';
import { publishNow, wakeWorkers, type Published } from './publish.js';
import { isUniqueViolation } from '../db/errors.js';
import { isPlainObject } from '../webhooks/validation.js';
import { record } from './record.js';
import { loadForDelivery } from './worker.js';

export interface PublishOptions {
  idempotencyKey?: string | null;
}

async function checkPublish(accountId: string, type: string, payload: unknown, opts: PublishOptions): Promise<UserError[]> {
  const errors: UserError[] = [];
  if (!(await isKnownEventType(accountId, type))) {
    errors.push(invalid(['input', 'type'], `Unknown event type "${type}"; add it to the event catalog first`));
  }
  if (!isPlainObject(payload)) errors.push(invalid(['input', 'payload'], 'payload must be a JSON object'));
  else {
    const size = Buffer.byteLength(JSON.stringify(payload));
    const max = config().maxPayloadBytes;
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
  accountId: string,
  type: string,
  payload: Record<string, unknown>,
  opts: PublishOptions = {},
): Promise<Result<Published>> {
  const errors = await checkPublish(accountId, type, payload, opts);
  if (errors.length) return { ok: false, errors };
  const req = { accountId, type, payload, idempotencyKey: opts.idempotencyKey };
  let published: Published;
  try {
    published = await publishNow(req);
  } catch (err) {
    // Two publishes raced with one idempotency key: the loser returns the winner's event.
    if (!isUniqueViolation(err) || !opts.idempotencyKey) throw err;
    published = await publishNow(req);
  }
  if (published.deliveryCount) wakeWorkers();
  return ok(published);
}

export function publishAs(caller: Caller, type: string, payload: Record<string, unknown>, opts: PublishOptions = {}) {
  return requireAdmin(caller) ?? publish(caller.accountId, type, payload, opts);
}

/** Sends one attempt now, outside the worker, and waits until it is recorded. */
async function attemptNow(job: Job): Promise<Result<LiveAttempt>> {
  const { webhooks, events } = await loadForDelivery([job.webhookId], [job.eventId]);
  const webhook = webhooks.get(job.webhookId);
  const event = events.get(job.eventId);
  if (!webhook || !event) return fail('NOT_FOUND', 'The webhook or event no longer exists', ['id']);
  if (event.payload === null) {
    return fail('INVALID', 'The event payload is past its retention period and can no longer be sent', ['id']);
  }
  const outcome = await attempt(job, webhook, event);
  await record(outcome);
  return ok(outcome.attempt);
}

export async function pingWebhook(caller: Caller, webhookId: string): Promise<Result<LiveAttempt>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const webhook = await prisma.webhook.findFirst({ where: { id: webhookId, accountId: caller.accountId }, select: { id: true, name: true } });
  if (!webhook) return fail('NOT_FOUND', `No webhook with id "${webhookId}"`, ['id']);
  const eventId = newId();
  const deliveryId = newId();
  const now = new Date();
  await prisma.$transaction([
    prisma.event.create({
      data: {
        id: eventId,
        accountId: caller.accountId,
        type: PING_EVENT_TYPE,
        payload: JSON.stringify({ zen: 'Webhooks done right.', webhookId, sentBy: caller.associateName }),
        createdAt: now,
      },
    }),
    // No nextAttemptAt: the worker never claims it; the ping is sent here, once.
    prisma.delivery.create({
      data: { id: deliveryId, accountId: caller.accountId, eventId, webhookId, status: 'PENDING', nextAttemptAt: null, createdAt: now, updatedAt: now },
    }),
  ]);
  return attemptNow({ deliveryId, accountId: caller.accountId, webhookId, eventId, attemptCount: 0, trigger: 'PING' });
}

export async function redeliver(caller: Caller, deliveryId: string): Promise<Result<LiveAttempt>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const delivery = await prisma.delivery.findFirst({ where: { id: deliveryId, accountId: caller.accountId } });
  if (!delivery) return fail('NOT_FOUND', `No delivery with id "${deliveryId}"`, ['deliveryId']);
  return attemptNow({
    deliveryId,
    accountId: caller.accountId,
    webhookId: delivery.webhookId,
    eventId: delivery.eventId,
    attemptCount: delivery.attemptCount,
    trigger: 'MANUAL',
  });
}

/** Requeues every delivery of a webhook that failed for good since `since`. */
export async function recoverWebhook(caller: Caller, webhookId: string, since: Date): Promise<Result<number>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const webhook = await prisma.webhook.findFirst({ where: { id: webhookId, accountId: caller.accountId }, select: { id: true } });
  if (!webhook) return fail('NOT_FOUND', `No webhook with id "${webhookId}"`, ['id']);
  if (since > new Date()) return fail('INVALID', 'since must not be in the future', ['since']);
  const now = new Date();
  const { count } = await prisma.delivery.updateMany({
    where: {
      webhookId,
      accountId: caller.accountId,
      status: 'FAILED',
      lastAttemptAt: { gte: since },
      event: { type: { not: PING_EVENT_TYPE } },
    },
    data: { status: 'PENDING', nextAttemptAt: now, updatedAt: now, leaseOwner: null, leaseUntil: null },
  });
  if (count) wakeWorkers();
  return ok(count);
}
