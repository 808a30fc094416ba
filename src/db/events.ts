// What the data layer announces after a commit, on the application's event
// bus. The delivery worker and the live layer listen; services never call
// them directly.
import type { Webhook } from '../generated/prisma/client.js';
import type { AttemptRecord } from './stores/attempts.js';

/**
 * Events other instances must hear too, because they invalidate caches there.
 * On PostgreSQL they travel with the commit as NOTIFY (see pg.ts).
 */
export const SHARED_EVENTS: ReadonlySet<string> = new Set(['apiKey.revoked', 'catalog.changed', 'webhook.changed']);

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
  /** An API key was revoked: its open streams end, its cached lookups go. */
  'apiKey.revoked': { accountId: string; apiKeyId: string };
  /** A delivery attempt was recorded. */
  'attempt.recorded': AttemptRecord;
  /** An account's event catalog changed. */
  'catalog.changed': { accountId: string };
}

/** New delivery rows, as two parallel arrays (cheap to clone between threads). */
export interface DueHints {
  ids: string[];
  webhookIds: string[];
}

export function hintsOf(rows: readonly { id: string; webhookId: string }[]): DueHints {
  const ids = new Array<string>(rows.length);
  const webhookIds = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    ids[i] = rows[i].id;
    webhookIds[i] = rows[i].webhookId;
  }
  return { ids, webhookIds };
}
