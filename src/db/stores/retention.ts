// Pruning of old delivery attempts and event payloads.
import type { Sql } from '../sql.js';

export async function pruneBefore(sql: Sql, cutoff: Date): Promise<{ attempts: number; payloads: number }> {
  const attempts = await sql.run(`DELETE FROM "DeliveryAttempt" WHERE "createdAt" < ?`, [cutoff]);
  // Health counters go with the attempts they count.
  await sql.run(`DELETE FROM "AttemptRollup" WHERE "at" < ?`, [cutoff]);
  // A payload is kept while any of its deliveries may still be sent.
  const payloads = await sql.run(
    `UPDATE "Event" SET "payload" = NULL
     WHERE "createdAt" < ? AND "payload" IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM "Delivery" d WHERE d."eventId" = "Event"."id" AND d."status" = 'PENDING')`,
    [cutoff],
  );
  return { attempts, payloads };
}
