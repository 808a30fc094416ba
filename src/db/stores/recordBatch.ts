// A batch of attempt outcomes with no failure in it, written on PostgreSQL
// as one statement: the attempt rows, the health rollups and the
// deliveries' new state. The recorder's transaction for the same batch is
// six statements (BEGIN, the three writes, the streak reset, COMMIT), and
// on PostgreSQL each is a round trip that wakes a backend: measured under
// scenario 1's load, a batch of 64 took 7-19 ms that way, the recorder
// could not keep up, and its backlog held claims back. One statement is
// also one implicit transaction, so the batch still commits all or nothing.
import type { AttemptRecord } from './attempts.js';
import { attemptsParam, insertAttemptsPg } from './attempts.js';
import { applyOutcomesPg, deliveryFromRow, outcomeParams, type DeliveryOutcome } from './deliveries.js';
import { rollupParams, upsertRollupsPg, type RollupIncrement } from './rollups.js';
import type { Delivery } from '../../generated/prisma/client.js';
import type { Sql } from '../sql.js';

export interface CleanBatch {
  attempts: AttemptRecord[];
  increments: readonly RollupIncrement[];
  /** In delivery id order, so concurrent writers lock rows in one order. */
  outcomes: readonly DeliveryOutcome[];
  /** The batch's webhooks (each ended its part of the batch with a success). */
  webhookIds: readonly string[];
}

// A webhook with a failure streak to end may have a circuit to close, in
// the same transaction: then nothing is written and the recorder takes its
// transaction. The check reads the statement's snapshot, as the
// transaction's conditional UPDATE does (a streak another instance commits
// meanwhile is not seen by either).
const HOLD = `NOT (SELECT "failing" FROM f)`;
const cleanBatchPg = (returning: boolean) => `WITH
  f AS (SELECT EXISTS (SELECT 1 FROM "Webhook" WHERE "id" = ANY(?::text[]) AND "consecutiveFailures" <> 0) AS "failing"),
  a AS (${insertAttemptsPg(`WHERE ${HOLD}`)}),
  r AS (${upsertRollupsPg(`WHERE ${HOLD}`)}),
  u AS (${applyOutcomesPg(`AND ${HOLD}`)}${returning ? ' RETURNING "Delivery".*' : ''})
  SELECT f."failing"${returning ? ', u.*' : ''} FROM f${returning ? ' LEFT JOIN u ON true' : ''}`;
const CLEAN_BATCH_PG = cleanBatchPg(false);
const CLEAN_BATCH_PG_RETURNING = cleanBatchPg(true);

/**
 * Writes the batch in one statement. Resolves to null, having written
 * nothing, when one of its webhooks has a failure streak to end, and always
 * on SQLite, where the recorder's transaction costs no round trips; the
 * caller then writes it in that transaction. Otherwise resolves to the
 * deliveries as updated when `returning`, or to none.
 */
export async function writeCleanBatch(sql: Sql, batch: CleanBatch, returning: boolean): Promise<Delivery[] | null> {
  if (sql.dialect.provider !== 'postgresql') return null;
  const values = [batch.webhookIds, attemptsParam(batch.attempts), ...rollupParams(batch.increments), ...outcomeParams(batch.outcomes)];
  const rows = await sql.all(returning ? CLEAN_BATCH_PG_RETURNING : CLEAN_BATCH_PG, values);
  if (rows[0]?.failing) return null;
  return returning ? rows.filter((r) => r.id != null).map((r) => deliveryFromRow(sql.dialect, r)) : [];
}
