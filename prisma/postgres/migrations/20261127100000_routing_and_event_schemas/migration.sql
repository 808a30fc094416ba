-- Issue 11, routing: channels and content filters on webhooks, channels on
-- events (src/outbox/publish.ts), and a JSON Schema and an example payload
-- per custom event type (src/base/payloadSchema.ts). Every column is
-- nullable, and null means what existed before: no channels, no filter, no
-- schema, no example.

-- AlterTable
ALTER TABLE "EventType" ADD COLUMN     "example" TEXT,
ADD COLUMN     "schema" TEXT;

-- AlterTable
ALTER TABLE "Webhook" ADD COLUMN     "channels" JSONB,
ADD COLUMN     "filter" TEXT;

-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "channels" JSONB;
