-- Issue 11, delivery policy: a per-webhook rate limit (deliveries per second,
-- across all instances), enforced where deliveries are claimed; rateAllowAt
-- is the limiter's state (src/dispatch/rateLimit.ts). No webhook has a limit
-- yet, so "gated" stays as it is.
ALTER TABLE "Webhook" ADD COLUMN "rateLimit" INTEGER;
ALTER TABLE "Webhook" ADD COLUMN "rateAllowAt" DATETIME;
