// Who may change a webhook: an ADMIN key of its account and, when the
// webhook is application-managed, only a key of the managing application.
// Every mutation on one webhook (update, toggle, delete, delete by URL,
// rotate, ping, redeliver, recover) goes through here.
import { fail, ok, type Result } from '../../base/errors.js';
import { requireAdmin, type Caller } from '../../base/caller.js';
import { findWebhook, type Webhook } from '../../db/stores/webhooks.js';
import type { Deps } from '../deps.js';

/** FORBIDDEN, on `field`, unless the caller's key belongs to the application that manages `webhook`. */
export function checkManagingApplication(caller: Caller, webhook: Webhook, field: string[] = ['id']): Result<never> | null {
  if (!webhook.isApplicationManaged || caller.application === webhook.managingApplication) return null;
  return fail(
    'FORBIDDEN',
    `Webhook "${webhook.name}" is managed by the application "${webhook.managingApplication}"; only that application's API keys can change it`,
    field,
  );
}

/** The webhook `id` in the caller's account, if the caller may change it; errors name `field`. */
export async function webhookForChange(
  deps: Pick<Deps, 'sql'>,
  caller: Caller,
  id: string,
  field: string[] = ['id'],
): Promise<Result<Webhook>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const webhook = await findWebhook(deps.sql, caller.accountId, id);
  if (!webhook) return fail('NOT_FOUND', `No webhook with id "${id}"`, field);
  return checkManagingApplication(caller, webhook, field) ?? ok(webhook);
}
