-- Issue 11, delivery policy: per-webhook overrides of the global retry
-- schedule, timeout and concurrency (null: the global setting). "gated"
-- marks webhooks claimed one at a time by the delivery thread
-- (src/db/stores/gated.ts) instead of by the batch claim.
ALTER TABLE "Webhook" ADD COLUMN "retrySchedule" JSONB;
ALTER TABLE "Webhook" ADD COLUMN "timeoutMs" INTEGER;
ALTER TABLE "Webhook" ADD COLUMN "maxConcurrency" INTEGER;
ALTER TABLE "Webhook" ADD COLUMN "gated" BOOLEAN NOT NULL DEFAULT false;

CREATE INDEX "Webhook_gated_idx" ON "Webhook"("gated");
