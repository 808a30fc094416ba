-- Console links (issue 10): sign-in links for the console, stored as a token hash.
-- CreateTable
CREATE TABLE "ConsoleLink" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ConsoleLink_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ConsoleLink_tokenHash_key" ON "ConsoleLink"("tokenHash");

-- CreateIndex
CREATE INDEX "ConsoleLink_accountId_createdAt_idx" ON "ConsoleLink"("accountId", "createdAt");

-- AddForeignKey
ALTER TABLE "ConsoleLink" ADD CONSTRAINT "ConsoleLink_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConsoleLink" ADD CONSTRAINT "ConsoleLink_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "Associate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

