-- Issue 11, delivery policy: a circuit breaker per webhook
-- (src/dispatch/circuit.ts). Every circuit starts CLOSED, so "gated" stays
-- as it is.
CREATE TYPE "CircuitState" AS ENUM ('CLOSED', 'OPEN', 'HALF_OPEN');

ALTER TABLE "Webhook" ADD COLUMN "circuitState" "CircuitState" NOT NULL DEFAULT 'CLOSED',
ADD COLUMN "circuitOpenedAt" TIMESTAMP(3),
ADD COLUMN "circuitNextProbeAt" TIMESTAMP(3),
ADD COLUMN "circuitCooldownMs" INTEGER NOT NULL DEFAULT 0;
