-- hookline_id() in newId()'s new form (src/base/ids.ts): the time in
-- milliseconds as 8 base62 digits, most significant first, then 16 random
-- characters (base64 of the random bytes of three UUIDs with "+" and "/"
-- removed, as before). Ids made one after the other sort together, so the
-- indexes keyed by id take new rows at their right edge.
CREATE OR REPLACE FUNCTION hookline_id() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT substr(a, (ms / 3521614606208 % 62)::int + 1, 1) || substr(a, (ms / 56800235584 % 62)::int + 1, 1)
      || substr(a, (ms / 916132832 % 62)::int + 1, 1) || substr(a, (ms / 14776336 % 62)::int + 1, 1)
      || substr(a, (ms / 238328 % 62)::int + 1, 1) || substr(a, (ms / 3844 % 62)::int + 1, 1)
      || substr(a, (ms / 62 % 62)::int + 1, 1) || substr(a, (ms % 62)::int + 1, 1)
      || left(translate(encode(decode(
           left(u1, 12) || right(u1, 14) || left(u2, 12) || right(u2, 14) || left(u3, 12) || right(u3, 14),
           'hex'), 'base64'), '+/', ''), 16)
  FROM (SELECT '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'::text AS a,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms,
               replace(gen_random_uuid()::text, '-', '') AS u1,
               replace(gen_random_uuid()::text, '-', '') AS u2,
               replace(gen_random_uuid()::text, '-', '') AS u3) r
$$;
