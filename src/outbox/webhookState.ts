// A webhook's state change and the built-in event that records it, in one
// transaction. Shared by the toggle mutation and the delivery recorder's
// auto-disable, so it sits below both.
import type { Tx } from '../db/sql.js';
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

/** Changes the state in `tx`, records `webhook.state_changed`, and announces the change after commit. */
export async function changeStateInTx(tx: Tx, webhook: Webhook, change: StateChange): Promise<Webhook> {
  const row = (await setWebhookState(tx, webhook.accountId, webhook.id, change))!;
  await publishInTx(
    tx,
    {
      accountId: webhook.accountId,
      type: 'webhook.state_changed',
      payload: { webhook: webhookSummary(row), previousState: webhook.state },
    },
    change.at,
  );
  tx.afterCommit('webhook.stateChanged', row);
  tx.afterCommit('webhook.changed', { id: row.id });
  return row;
}
