// The transactional outbox: every event, whether published through the API,
// by embedding code or as a built-in event of a domain change, is written
// with its deliveries in the caller's transaction. Once that commits, no
// crash can lose them, and the commit wakes the workers.
import { newId } from '../base/ids.js';
import { fanOut, findByIdempotencyKey, insertEvent, releaseIdempotencyKey, type StoredEvent } from '../db/stores/events.js';
import type { Sql, Tx } from '../db/sql.js';
import { hintsOf } from '../db/events.js';

export interface PublishRequest {
  accountId: string;
  type: string;
  payload: Record<string, unknown>;
  idempotencyKey?: string | null;
}

export interface Published {
  event: StoredEvent;
  deliveryCount: number;
  /** True when an earlier event with the same idempotency key was returned. */
  duplicate: boolean;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/**
 * The event published earlier with this idempotency key within the window,
 * or null. An expired key is released from its old event so it can be used again.
 */
async function earlierPublish(sql: Sql, accountId: string, key: string, now: Date): Promise<Published | null> {
  const found = await findByIdempotencyKey(sql, accountId, key);
  if (!found) return null;
  if (now.getTime() - found.event.createdAt.getTime() >= IDEMPOTENCY_WINDOW_MS) {
    await releaseIdempotencyKey(sql, accountId, key);
    return null;
  }
  return { ...found, duplicate: true };
}

/** Writes the event and its deliveries inside `tx`; the commit wakes the workers. */
export async function publishInTx(tx: Tx, req: PublishRequest, now: Date): Promise<Published> {
  const earlier = req.idempotencyKey ? await earlierPublish(tx, req.accountId, req.idempotencyKey, now) : null;
  if (earlier) return earlier;
  const event: StoredEvent = {
    id: newId(),
    accountId: req.accountId,
    type: req.type,
    payload: JSON.stringify(req.payload),
    idempotencyKey: req.idempotencyKey ?? null,
    createdAt: now,
  };
  await insertEvent(tx, event);
  const rows = await fanOut(tx, event);
  // The new rows' ids travel with the wake-up, so this instance's delivery
  // thread can claim them by primary key instead of scanning for them.
  if (rows.length) tx.afterCommit('deliveries.due', { accountId: req.accountId, hints: hintsOf(rows) });
  return { event, deliveryCount: rows.length, duplicate: false };
}
