-- Issue 12, accounts: platform-level keys, which create accounts over the API.
-- CreateTable
CREATE TABLE "PlatformKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "lastFour" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" DATETIME
);

-- CreateIndex
CREATE UNIQUE INDEX "PlatformKey_keyHash_key" ON "PlatformKey"("keyHash");
