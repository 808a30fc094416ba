-- Issue 9: bulk operations (retryDeliveries, replayEvents; src/dispatch/bulk.ts)
-- and per-5-minute/per-hour attempt rollups for health over time, which the
-- recorder adds to in the attempts' own transaction (src/db/stores/rollups.ts).
-- Attempts recorded before this migration are not in the rollups.


-- CreateTable
CREATE TABLE "BulkOperation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'RUNNING',
    "filter" TEXT NOT NULL,
    "webhookId" TEXT,
    "total" INTEGER NOT NULL,
    "done" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "until" DATETIME NOT NULL,
    "progressAt" DATETIME,
    "progressId" TEXT,
    "createdById" TEXT NOT NULL,
    "error" TEXT,
    "leaseOwner" TEXT,
    "leaseUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    CONSTRAINT "BulkOperation_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AttemptRollup" (
    "accountId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "span" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "metric" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    PRIMARY KEY ("accountId", "webhookId", "span", "at", "metric")
);

-- CreateIndex
CREATE INDEX "BulkOperation_accountId_createdAt_id_idx" ON "BulkOperation"("accountId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "BulkOperation_status_idx" ON "BulkOperation"("status");

-- CreateIndex
CREATE INDEX "AttemptRollup_at_idx" ON "AttemptRollup"("at");


