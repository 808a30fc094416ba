-- Issue 12, associates: deleteAssociate keeps the row (history still names
-- who registered or created things) and marks it deleted.
-- AlterTable
ALTER TABLE "Associate" ADD COLUMN "deletedAt" DATETIME;
