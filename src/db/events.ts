// What the data layer announces after a commit, on the application's event
// bus. The delivery worker and the live layer listen; services never call
// them directly.
import type { Delivery, Webhook } from '../generated/prisma/client.js';
import type { RecordedAttempt } from './stores/attempts.js';
import type { BulkOperation } from './stores/bulkOperations.js';
import type { StoredEvent } from './stores/events.js';

/**
 * Events other instances must hear too, because they invalidate caches there.
 * On PostgreSQL they travel with the commit as NOTIFY (see pg.ts).
 */
export const SHARED_EVENTS: ReadonlySet<string> = new Set(['apiKey.revoked', 'associate.changed', 'catalog.changed', 'webhook.changed']);

export interface AppEvents {
  [name: string]: unknown;
  /**
   * New or newly due deliveries were committed: wake idle workers. `hints`
   * (a publish's new rows) let this instance's worker claim them by primary
   * key; they are an optimisation only, as the scanning claim finds every
   * due row whether hinted or not.
   */
  'deliveries.due': { accountId: string; hints?: DueHints };
  /**
   * A webhook's delivery settings changed (state, URL, headers, properties,
   * secret) or it was deleted: delivery threads drop their cached copy.
   */
  'webhook.changed': { id: string };
  /** A webhook's state changed (toggle, auto-disable, 410). */
  'webhook.stateChanged': Webhook;
  /**
   * Other instances' change notifications may have been missed (the
   * listening connection was lost and is back): every cache they keep in
   * step goes, since any of them may be stale.
   */
  'changes.missed': Record<string, never>;
  /**
   * An associate's name or role changed, or they were deleted: the cached
   * callers of their keys and links go, so the next request acts as they
   * are now.
   */
  'associate.changed': { accountId: string; associateId: string };
  /** An API key was revoked: its open streams end, its cached lookups go. */
  'apiKey.revoked': { accountId: string; apiKeyId: string };
  /** A delivery attempt was recorded. */
  'attempt.recorded': RecordedAttempt;
  /** A delivery's state changed (an attempt was recorded, or it was requeued). */
  'delivery.updated': UpdatedDelivery;
  /** A bulk operation was created: delivery threads start on it. */
  'bulkOperation.created': { id: string };
  /** A bulk operation was created, moved forward or ended. */
  'bulkOperation.updated': BulkOperation;
  /** An account's event catalog changed. */
  'catalog.changed': { accountId: string };
}

/** New delivery rows, as two parallel arrays (cheap to clone between threads). */
export interface DueHints {
  ids: string[];
  webhookIds: string[];
  /** Each row's account: the worker's per-account slot limit applies to hinted claims too. */
  accountIds: string[];
  /** The rows' events as written, so the worker need not read them back (src/dispatch/eventCache.ts). */
  events?: StoredEvent[];
  /**
   * Per row: its event's id if the row was inserted leased to this
   * instance's delivery thread (src/base/deliveryRoom.ts), which sends it
   * without a claim; null for a row to claim. None: every row is to claim.
   */
  ownedEventIds?: (string | null)[];
}

export function hintsOf(
  accountId: string,
  rows: readonly { id: string; webhookId: string; owned?: boolean }[],
  event?: StoredEvent,
): DueHints {
  const ids = new Array<string>(rows.length);
  const webhookIds = new Array<string>(rows.length);
  let owned: (string | null)[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    ids[i] = rows[i].id;
    webhookIds[i] = rows[i].webhookId;
    if (rows[i].owned && event) (owned ??= new Array<string | null>(rows.length).fill(null))[i] = event.id;
  }
  return {
    ids,
    webhookIds,
    accountIds: new Array<string>(rows.length).fill(accountId),
    ...(event ? { events: [event] } : {}),
    ...(owned ? { ownedEventIds: owned } : {}),
  };
}

/** A delivery as changed, with its event's type (for live filters by event type). */
export interface UpdatedDelivery extends Delivery {
  eventType: string;
}
