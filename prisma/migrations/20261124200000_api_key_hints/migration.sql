-- Keys Hookline did not generate (BOOTSTRAP_API_KEY) showed their first 7
-- characters as a hint, most of a short key. Their hint is now only the last
-- four (src/base/secrets.ts apiKeyHints); clear the prefix stored for them.
-- Generated keys' prefixes are "hk_" and four more characters.
UPDATE "ApiKey" SET "prefix" = '' WHERE "name" = 'Bootstrap key' OR substr("prefix", 1, 3) <> 'hk_';
