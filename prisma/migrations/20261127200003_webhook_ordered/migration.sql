-- Issue 11, delivery policy: opt-in ordered delivery per webhook (one at a
-- time, in event order). Off for every existing webhook, so "gated" stays
-- as it is.
ALTER TABLE "Webhook" ADD COLUMN "ordered" BOOLEAN NOT NULL DEFAULT false;
