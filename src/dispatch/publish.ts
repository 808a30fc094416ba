// The transactional outbox: an event and one delivery per subscribed, active
// webhook are written in the caller's transaction, so once the transaction
// commits no crash can lose them. The worker picks them up from the table.
import { EventEmitter } from 'node:events';
import type { Prisma } from '../generated/prisma/client.js';
import { ALL_EVENTS } from '../events/catalog.js';
import { newId } from '../security/ids.js';

export type Tx = Prisma.TransactionClient;

export interface PublishRequest {
  accountId: string;
  type: string;
  payload: Record<string, unknown>;
  idempotencyKey?: string | null;
  /** Deliver to this webhook only (pings); otherwise fan out to subscribers. */
  onlyWebhookId?: string;
}

export interface Published {
  eventId: string;
  deliveryIds: string[];
  /** True when an earlier event with the same idempotency key was returned. */
  duplicate: boolean;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/** Emits 'wake' when new deliveries are due, so an idle worker starts at once. */
export const deliverySignals = new EventEmitter();
deliverySignals.setMaxListeners(100);

export function wakeWorkers(): void {
  deliverySignals.emit('wake');
}

async function subscribedWebhookIds(tx: Tx, accountId: string, type: string): Promise<string[]> {
  const rows = await tx.webhookEvent.findMany({
    where: { accountId, eventType: { in: [type, ALL_EVENTS] }, webhook: { state: 'ACTIVE' } },
    select: { webhookId: true },
  });
  return [...new Set(rows.map((r) => r.webhookId))];
}

/** Writes the event and its deliveries in `tx`. Call wakeWorkers() after commit. */
export async function publishInTx(tx: Tx, req: PublishRequest): Promise<Published> {
  const now = new Date();
  if (req.idempotencyKey) {
    const earlier = await tx.event.findUnique({
      where: { accountId_idempotencyKey: { accountId: req.accountId, idempotencyKey: req.idempotencyKey } },
      select: { id: true, createdAt: true, deliveries: { select: { id: true } } },
    });
    if (earlier && now.getTime() - earlier.createdAt.getTime() < IDEMPOTENCY_WINDOW_MS) {
      return { eventId: earlier.id, deliveryIds: earlier.deliveries.map((d) => d.id), duplicate: true };
    }
    // An expired key may be used again: release it from the old event.
    if (earlier) await tx.event.update({ where: { id: earlier.id }, data: { idempotencyKey: null } });
  }
  const eventId = newId();
  await tx.event.create({
    data: {
      id: eventId,
      accountId: req.accountId,
      type: req.type,
      payload: JSON.stringify(req.payload),
      idempotencyKey: req.idempotencyKey ?? null,
      createdAt: now,
    },
  });
  const webhookIds = req.onlyWebhookId
    ? [req.onlyWebhookId]
    : await subscribedWebhookIds(tx, req.accountId, req.type);
  const deliveries = webhookIds.map((webhookId) => ({
    id: newId(),
    accountId: req.accountId,
    eventId,
    webhookId,
    status: 'PENDING' as const,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
  }));
  if (deliveries.length) await tx.delivery.createMany({ data: deliveries });
  return { eventId, deliveryIds: deliveries.map((d) => d.id), duplicate: false };
}
