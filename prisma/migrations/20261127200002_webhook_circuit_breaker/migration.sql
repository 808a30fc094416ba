-- Issue 11, delivery policy: a circuit breaker per webhook
-- (src/dispatch/circuit.ts). Every circuit starts CLOSED, so "gated" stays
-- as it is.
ALTER TABLE "Webhook" ADD COLUMN "circuitState" TEXT NOT NULL DEFAULT 'CLOSED';
ALTER TABLE "Webhook" ADD COLUMN "circuitOpenedAt" DATETIME;
ALTER TABLE "Webhook" ADD COLUMN "circuitNextProbeAt" DATETIME;
ALTER TABLE "Webhook" ADD COLUMN "circuitCooldownMs" INTEGER NOT NULL DEFAULT 0;
