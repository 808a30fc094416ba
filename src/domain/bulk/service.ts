// Bulk operations as the API offers them: retryDeliveries and replayEvents
// start one (ADMIN only, in the caller's account), cancelBulkOperation ends
// one, and reads list them. The work itself runs in the background
// (src/dispatch/bulk.ts); this checks the request, counts what it covers,
// and stores it.
import { fail, invalid, ok, type Result, type UserError } from '../../base/errors.js';
import { requireAdmin, type Caller } from '../../base/caller.js';
import { newId } from '../../base/ids.js';
import {
  countReplay,
  countRetry,
  findBulkOperation,
  insertBulkOperation,
  listBulkOperations,
  type BulkOperation,
  type ReplayConditions,
} from '../../db/stores/bulkOperations.js';
import type { DeliveryConditions } from '../../db/stores/log.js';
import { finishInTx, PING_TYPE } from '../../dispatch/bulk.js';
import { isKnownEventType } from '../catalog.js';
import type { Deps } from '../deps.js';
import { webhookForChange } from '../webhooks/access.js';

/** Most event types one replay may name. */
export const MAX_REPLAY_TYPES = 100;

export interface ReplayFilterInput {
  types?: readonly string[] | null;
  from?: Date | null;
  to?: Date | null;
}

async function start(
  deps: Deps,
  caller: Caller,
  o: { kind: BulkOperation['kind']; filter: object; webhookId: string | null; total: number; now: Date },
): Promise<BulkOperation> {
  const op = await deps.sql.tx(async (tx) => {
    const row = await insertBulkOperation(tx, {
      id: newId(),
      accountId: caller.accountId,
      kind: o.kind,
      filter: JSON.stringify(o.filter),
      webhookId: o.webhookId,
      total: o.total,
      until: o.now,
      createdById: caller.associateId,
      createdAt: o.now,
    });
    tx.afterCommit('bulkOperation.created', { id: row.id });
    tx.afterCommit('bulkOperation.updated', row);
    return row;
  });
  deps.logger.info({ bulkOperationId: op.id, kind: op.kind, total: op.total, accountId: caller.accountId }, 'bulk operation started');
  return op;
}

/**
 * Requeues, in the background, every failed delivery matching the filter
 * (checked by parseDeliveryFilter) that exists now. The filter's statuses,
 * if given, must include FAILED: only failed deliveries are retried.
 */
export async function retryDeliveries(deps: Deps, caller: Caller, filter: DeliveryConditions): Promise<Result<BulkOperation>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  if (filter.statuses && !filter.statuses.includes('FAILED')) {
    return fail('INVALID', 'retryDeliveries requeues failed deliveries: filter.statuses must include FAILED (or be left out)', [
      'filter',
      'statuses',
    ]);
  }
  const now = deps.clock.now();
  const stored = { ...filter, statuses: ['FAILED'] };
  const total = await countRetry(deps.sql, caller.accountId, stored, now, PING_TYPE);
  return ok(await start(deps, caller, { kind: 'RETRY_DELIVERIES', filter: stored, webhookId: null, total, now }));
}

/**
 * Sends, in the background, every past event matching the filter (types,
 * from ≤ createdAt < to) to one webhook, whether or not it subscribes to
 * them and even if it was created after them: one new delivery per event.
 */
export async function replayEvents(
  deps: Deps,
  caller: Caller,
  input: ReplayFilterInput,
  webhookId: string,
): Promise<Result<BulkOperation>> {
  const webhook = await webhookForChange(deps, caller, webhookId, ['webhookId']);
  if (!webhook.ok) return webhook;
  const errors: UserError[] = [];
  const now = deps.clock.now();
  const types = input.types ? [...new Set(input.types)] : null;
  if (types && (types.length === 0 || types.length > MAX_REPLAY_TYPES)) {
    errors.push(invalid(['filter', 'types'], `types must list 1 to ${MAX_REPLAY_TYPES} event types, or be left out for all`));
  } else if (types) {
    for (const t of types) {
      if (!(await isKnownEventType(deps, caller.accountId, t))) errors.push(invalid(['filter', 'types'], `Unknown event type "${t}"`));
    }
  }
  if (input.from && input.to && input.to < input.from) errors.push(invalid(['filter', 'to'], 'to must not be before from'));
  if (input.from && input.from > now) errors.push(invalid(['filter', 'from'], 'from must not be in the future'));
  if (errors.length) return { ok: false, errors };
  const filter: ReplayConditions = { types, from: input.from ?? null, to: input.to ?? null };
  const total = await countReplay(deps.sql, caller.accountId, filter, now, PING_TYPE);
  return ok(await start(deps, caller, { kind: 'REPLAY_EVENTS', filter, webhookId, total, now }));
}

/** Stops a running operation: what it did stays done, nothing more is done. */
export async function cancelBulkOperation(deps: Deps, caller: Caller, id: string): Promise<Result<BulkOperation>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const op = await findBulkOperation(deps.sql, caller.accountId, id);
  if (!op) return fail('NOT_FOUND', `No bulk operation with id "${id}"`, ['id']);
  const ended = await deps.sql.tx((tx) => finishInTx(tx, op, 'CANCELLED', deps.clock.now()));
  if (!ended) return fail('INVALID', `Bulk operation "${id}" has already ended`, ['id']);
  return ok(ended);
}

export function getBulkOperation(deps: Pick<Deps, 'sql'>, accountId: string, id: string): Promise<BulkOperation | null> {
  return findBulkOperation(deps.sql, accountId, id);
}

export function bulkOperationsPage(
  deps: Pick<Deps, 'sql'>,
  accountId: string,
  q: { limit: number; before: { at: Date; id: string } | null },
): Promise<BulkOperation[]> {
  return listBulkOperations(deps.sql, accountId, q);
}
