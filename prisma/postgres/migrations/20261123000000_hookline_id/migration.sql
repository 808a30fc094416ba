-- Ids made by the database (the deliveries an INSERT … SELECT fans out) in
-- the same form as the service's own: 24 characters of base62. The bytes
-- come from gen_random_uuid(), skipping the two bytes of each UUID that
-- carry its version and variant bits.
CREATE OR REPLACE FUNCTION hookline_id() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT string_agg(
           substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', get_byte(r.b, p.pos) % 62 + 1, 1),
           '' ORDER BY p.n)
  FROM (SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex') AS b) r,
       (SELECT row_number() OVER () AS n, pos
        FROM generate_series(0, 31) AS pos
        WHERE pos NOT IN (6, 8, 22, 24)
        LIMIT 24) p
$$;
