-- The delivery log as a product (issue 9): pages newest first on every
-- common filter, and the failure's class as its own column.
ALTER TABLE "DeliveryAttempt" ADD COLUMN "errorClass" TEXT;

-- Keyset pages order by ("createdAt", "id"); the id is in each index so a
-- page is one index range, whatever the ties.
DROP INDEX "DeliveryAttempt_webhookId_createdAt_idx";
DROP INDEX "DeliveryAttempt_deliveryId_idx";
CREATE INDEX "DeliveryAttempt_accountId_createdAt_id_idx" ON "DeliveryAttempt"("accountId", "createdAt", "id");
CREATE INDEX "DeliveryAttempt_accountId_status_createdAt_id_idx" ON "DeliveryAttempt"("accountId", "status", "createdAt", "id");
CREATE INDEX "DeliveryAttempt_webhookId_createdAt_id_idx" ON "DeliveryAttempt"("webhookId", "createdAt", "id");
CREATE INDEX "DeliveryAttempt_deliveryId_createdAt_id_idx" ON "DeliveryAttempt"("deliveryId", "createdAt", "id");
CREATE INDEX "Delivery_accountId_createdAt_id_idx" ON "Delivery"("accountId", "createdAt", "id");
CREATE INDEX "Delivery_webhookId_createdAt_id_idx" ON "Delivery"("webhookId", "createdAt", "id");

-- Earlier attempts get their class from the error text the sender wrote
-- ("TIMEOUT: …", "HTTP 500"), as src/dispatch/policy.ts errorClassOf would.
UPDATE "DeliveryAttempt" SET "errorClass" = CASE
    WHEN "error" LIKE 'HTTP %' THEN 'HTTP_ERROR'
    WHEN instr("error", ':') > 0 AND substr("error", 1, instr("error", ':') - 1)
      IN ('TIMEOUT', 'CONNECTION_REFUSED', 'CONNECTION_RESET', 'DNS', 'TLS', 'PRIVATE_TARGET', 'REDIRECT')
      THEN substr("error", 1, instr("error", ':') - 1)
    ELSE 'NETWORK' END
  WHERE "status" = 'FAILED';
