-- Custom headers are sealed at rest (AES-256-GCM, like the signing secrets).
-- SQL cannot encrypt, so existing headers move to "headersCiphertext" as
-- "plain:<JSON>"; the service seals such rows when it starts
-- (src/db/sealHeaders.ts) and reads them as they are until then.
ALTER TABLE "Webhook" ADD COLUMN "headersCiphertext" TEXT;
ALTER TABLE "Webhook" ADD COLUMN "sensitiveHeaders" JSONB NOT NULL DEFAULT '[]';
UPDATE "Webhook" SET "headersCiphertext" = 'plain:' || "headers"::text WHERE "headers" <> '{}'::jsonb;
ALTER TABLE "Webhook" DROP COLUMN "headers";

-- Delivery attempts recorded the custom headers as sent. From now on the
-- values of sensitive ones are recorded masked; mask those already recorded
-- (Hookline's own webhook-* and x-hookline-* headers stay as they were).
CREATE FUNCTION pg_temp.hookline_sensitive_header(name text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT lower(name) NOT LIKE 'webhook-%' AND lower(name) NOT LIKE 'x-hookline-%'
    AND (lower(name) = 'cookie' OR lower(name) ~ '(auth|token|secret|key|password|signature)')
$$;
UPDATE "DeliveryAttempt" SET "requestHeaders" = (
  SELECT json_object_agg(h.key, CASE WHEN pg_temp.hookline_sensitive_header(h.key) THEN '********' ELSE h.value END ORDER BY h.n)::text
  FROM json_each_text("DeliveryAttempt"."requestHeaders"::json) WITH ORDINALITY AS h(key, value, n)
)
WHERE EXISTS (
  SELECT 1 FROM json_each_text("DeliveryAttempt"."requestHeaders"::json) AS h(key, value) WHERE pg_temp.hookline_sensitive_header(h.key)
);
DROP FUNCTION pg_temp.hookline_sensitive_header(text);
