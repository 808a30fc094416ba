// What the metrics endpoint reads from the database on a scrape: the
// delivery queue's depth and age, and webhooks by state. These are the
// instance's (or the cluster's) totals for operators, not an account's
// data, so unlike the finders they are not scoped to an account; nothing
// here returns a row of any tenant. Both statements walk an index
// ((status, nextAttemptAt) for deliveries) and run once per scrape at most.
import type { WebhookState } from '../../generated/prisma/client.js';
import type { Sql } from '../sql.js';

/** Where a pending, scheduled delivery stands: due and waiting, being sent, waiting for a retry, or held by a webhook that is not active. */
export const QUEUE_STATES = ['due', 'in_flight', 'scheduled', 'paused'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueStats {
  depth: Record<QueueState, number>;
  /** When the longest-waiting due delivery (of an active webhook, not leased) fell due; null when none is. */
  oldestDueAt: Date | null;
}

export async function queueStats(sql: Sql, now: Date): Promise<QueueStats> {
  const rows = await sql.all<{ state: QueueState; n: unknown; oldest: unknown }>(
    `SELECT CASE WHEN w."state" <> 'ACTIVE' THEN 'paused'
                 WHEN d."nextAttemptAt" > ? THEN 'scheduled'
                 WHEN d."leaseUntil" IS NOT NULL AND d."leaseUntil" >= ? THEN 'in_flight'
                 ELSE 'due' END AS "state",
            COUNT(*) AS "n", MIN(d."nextAttemptAt") AS "oldest"
     FROM "Delivery" d JOIN "Webhook" w ON w."id" = d."webhookId"
     WHERE d."status" = 'PENDING' AND d."nextAttemptAt" IS NOT NULL
     GROUP BY 1`,
    [now, now],
  );
  const depth: Record<QueueState, number> = { due: 0, in_flight: 0, scheduled: 0, paused: 0 };
  let oldestDueAt: Date | null = null;
  for (const r of rows) {
    depth[r.state] = Number(r.n);
    if (r.state === 'due') oldestDueAt = sql.dialect.dateOrNull(r.oldest);
  }
  return { depth, oldestDueAt };
}

export const WEBHOOK_STATES: WebhookState[] = ['ACTIVE', 'STOPPED', 'TOO_MANY_ERRORS'];

export async function webhooksByState(sql: Sql): Promise<Record<WebhookState, number>> {
  const rows = await sql.all<{ state: WebhookState; n: unknown }>(`SELECT "state", COUNT(*) AS "n" FROM "Webhook" GROUP BY "state"`, []);
  const counts = Object.fromEntries(WEBHOOK_STATES.map((s) => [s, 0])) as Record<WebhookState, number>;
  for (const r of rows) counts[r.state] = Number(r.n);
  return counts;
}
