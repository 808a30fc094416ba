-- Issue 9: bulk operations (retryDeliveries, replayEvents; src/dispatch/bulk.ts)
-- and per-5-minute/per-hour attempt rollups for health over time, which the
-- recorder adds to in the attempts' own transaction (src/db/stores/rollups.ts).
-- Attempts recorded before this migration are not in the rollups.


-- CreateEnum
CREATE TYPE "BulkOperationKind" AS ENUM ('RETRY_DELIVERIES', 'REPLAY_EVENTS');

-- CreateEnum
CREATE TYPE "BulkOperationStatus" AS ENUM ('RUNNING', 'SUCCEEDED', 'CANCELLED', 'FAILED');

-- CreateTable
CREATE TABLE "BulkOperation" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "kind" "BulkOperationKind" NOT NULL,
    "status" "BulkOperationStatus" NOT NULL DEFAULT 'RUNNING',
    "filter" TEXT NOT NULL,
    "webhookId" TEXT,
    "total" INTEGER NOT NULL,
    "done" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "until" TIMESTAMP(3) NOT NULL,
    "progressAt" TIMESTAMP(3),
    "progressId" TEXT,
    "createdById" TEXT NOT NULL,
    "error" TEXT,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "BulkOperation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AttemptRollup" (
    "accountId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "span" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "metric" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "AttemptRollup_pkey" PRIMARY KEY ("accountId","webhookId","span","at","metric")
);

-- CreateIndex
CREATE INDEX "BulkOperation_accountId_createdAt_id_idx" ON "BulkOperation"("accountId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "BulkOperation_status_idx" ON "BulkOperation"("status");

-- CreateIndex
CREATE INDEX "AttemptRollup_at_idx" ON "AttemptRollup"("at");

-- AddForeignKey
ALTER TABLE "BulkOperation" ADD CONSTRAINT "BulkOperation_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

