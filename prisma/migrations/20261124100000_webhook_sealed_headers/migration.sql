-- Custom headers are sealed at rest (AES-256-GCM, like the signing secrets).
-- SQL cannot encrypt, so existing headers move to "headersCiphertext" as
-- "plain:<JSON>"; the service seals such rows when it starts
-- (src/db/sealHeaders.ts) and reads them as they are until then.
ALTER TABLE "Webhook" ADD COLUMN "headersCiphertext" TEXT;
ALTER TABLE "Webhook" ADD COLUMN "sensitiveHeaders" JSONB NOT NULL DEFAULT '[]';
UPDATE "Webhook" SET "headersCiphertext" = 'plain:' || json("headers") WHERE json("headers") <> '{}';
ALTER TABLE "Webhook" DROP COLUMN "headers";

-- Delivery attempts recorded the custom headers as sent. From now on the
-- values of sensitive ones are recorded masked; mask those already recorded
-- (Hookline's own webhook-* and x-hookline-* headers stay as they were).
UPDATE "DeliveryAttempt" SET "requestHeaders" = (
  SELECT json_group_object(h.key, CASE WHEN
      lower(h.key) NOT LIKE 'webhook-%' AND lower(h.key) NOT LIKE 'x-hookline-%' AND (lower(h.key) = 'cookie'
      OR instr(lower(h.key), 'auth') > 0 OR instr(lower(h.key), 'token') > 0 OR instr(lower(h.key), 'secret') > 0
      OR instr(lower(h.key), 'key') > 0 OR instr(lower(h.key), 'password') > 0 OR instr(lower(h.key), 'signature') > 0)
    THEN '********' ELSE h.value END)
  FROM json_each("DeliveryAttempt"."requestHeaders") AS h
)
WHERE EXISTS (
  SELECT 1 FROM json_each("DeliveryAttempt"."requestHeaders") AS h
  WHERE lower(h.key) NOT LIKE 'webhook-%' AND lower(h.key) NOT LIKE 'x-hookline-%' AND (lower(h.key) = 'cookie'
    OR instr(lower(h.key), 'auth') > 0 OR instr(lower(h.key), 'token') > 0 OR instr(lower(h.key), 'secret') > 0
    OR instr(lower(h.key), 'key') > 0 OR instr(lower(h.key), 'password') > 0 OR instr(lower(h.key), 'signature') > 0)
);
