// A webhook's state change and the built-in event that records it, in one
// transaction. Shared by the toggle mutation and the delivery recorder's
// auto-disable, so it sits below both.
import type { Sql, Tx } from '../db/sql.js';
import { recentFailures } from '../db/stores/attempts.js';
import { setWebhookState, type StateChange, type Webhook } from '../db/stores/webhooks.js';
import { publishInTx } from './publish.js';

/** The webhook as built-in events describe it: never the secret. */
export function webhookSummary(w: Webhook, events?: string[]) {
  return {
    id: w.id,
    name: w.name,
    targetUrl: w.targetUrl,
    state: w.state,
    stateReason: w.stateReason,
    ...(events ? { events } : {}),
    isApplicationManaged: w.isApplicationManaged,
    managingApplication: w.managingApplication,
    ownerId: w.ownerId,
  };
}

/** Failures an alert lists, newest first. */
export const ALERT_FAILURES = 5;
/** How much of the last response body an alert quotes (characters). */
export const ALERT_BODY_EXCERPT = 500;

/**
 * Why the webhook is failing, for the webhook.state_changed payload: its
 * latest failures (status code, error class, error) and an excerpt of the
 * last response body one of them got, so an alert can say why.
 */
export async function failureContext(sql: Sql, webhookId: string) {
  const failures = await recentFailures(sql, webhookId, ALERT_FAILURES);
  const withBody = failures.find((f) => f.responseBody);
  return {
    recentFailures: failures.map((f) => ({
      at: f.at.toISOString(),
      statusCode: f.responseStatus,
      errorClass: f.errorClass ?? 'NETWORK',
      error: f.error,
    })),
    lastResponseBodyExcerpt: withBody ? withBody.responseBody!.slice(0, ALERT_BODY_EXCERPT) : null,
  };
}

/** Changes the state in `tx`, records `webhook.state_changed`, and announces the change after commit. */
export async function changeStateInTx(tx: Tx, webhook: Webhook, change: StateChange): Promise<Webhook> {
  const row = (await setWebhookState(tx, webhook.accountId, webhook.id, change))!;
  await publishInTx(
    tx,
    {
      accountId: webhook.accountId,
      type: 'webhook.state_changed',
      payload: { webhook: webhookSummary(row), previousState: webhook.state, ...(await failureContext(tx, webhook.id)) },
    },
    change.at,
  );
  tx.afterCommit('webhook.stateChanged', row);
  tx.afterCommit('webhook.changed', { id: row.id });
  return row;
}
