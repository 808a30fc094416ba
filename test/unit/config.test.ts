// Configuration: loadConfig is a pure function of an env object, so every
// default, every accepted spelling and every bad value is checked directly.
// Start-up with a bad value is checked end-to-end in test/config.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { loadConfig, parseDuration, ConfigError, DEFAULT_RETRY_SCHEDULE } from '../../src/base/config.js';

/** Asserts loadConfig rejects env with a ConfigError whose message names the variable. */
function rejects(env: Record<string, string>, variable: string) {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError for ${JSON.stringify(env)}, got ${String(err)}`);
      assert.match(err.message, new RegExp(`\\b${variable}\\b`), `message does not name ${variable}: ${err.message}`);
      return true;
    },
  );
}

const bad: [string, string][] = [
  ['PORT', 'abc'],
  ['PORT', '70000'],
  ['PORT', '-1'],
  ['DATABASE_URL', 'mysql://x'],
  ['DATABASE_URL', 'file:'],
  ['LOG_LEVEL', 'loud'],
  ['SECRET_ENCRYPTION_KEY', 'short'],
  ['SECRET_ENCRYPTION_KEY', 'ab'.repeat(31)], // 31 bytes of hex
  ['SECRET_ENCRYPTION_KEY', randomBytes(16).toString('base64')],
  ['RETRY_SCHEDULE', '5,x'],
  ['RETRY_SCHEDULE', '5,,10'],
  ['RETRY_SCHEDULE', '-1'],
  ['WORKER_ENABLED', 'maybe'],
  ['GRAPHIQL', 'perhaps'],
  ['ALLOW_PRIVATE_TARGETS', 'sometimes'],
  ['SECRET_ROTATION_GRACE', 'soon'],
  ['SECRET_ROTATION_GRACE', '-5h'],
  ['DELIVERY_LEASE', 'forever'],
  ['HOST', 'bad host!'],
  ['REDIS_URL', 'http://127.0.0.1:6379'],
  ['BOOTSTRAP_API_KEY', 'too-short'],
  ['MAX_QUERY_DEPTH', '0'],
  ['MAX_BODY_BYTES', '10'],
  ['DELIVERY_CONCURRENCY', 'lots'],
  ['WEBHOOK_CONCURRENCY', '1.5'],
  ['DELIVERY_TIMEOUT_MS', '0'],
  ['AUTO_DISABLE_AFTER', '0'],
  ['MAX_PAYLOAD_BYTES', 'big'],
  ['ATTEMPT_RETENTION_DAYS', '0'],
  ['WORKER_POLL_MS', '0'],
  ['WORKER_BATCH_SIZE', 'x'],
  ['MAX_QUERY_COST', 'cheap'],
];

for (const [variable, value] of bad) {
  test(`rejects ${variable}=${value} with a message naming ${variable}`, () => {
    rejects({ [variable]: value }, variable);
  });
}

test('defaults, with an empty environment', () => {
  const cfg = loadConfig({});
  assert.equal(cfg.port, 4000);
  assert.equal(cfg.host, '0.0.0.0');
  assert.equal(cfg.databaseUrl, 'file:./data/hookline.db');
  assert.equal(cfg.provider, 'sqlite');
  assert.equal(cfg.sqlitePath, './data/hookline.db');
  assert.equal(cfg.dataDir, './data');
  assert.equal(cfg.logLevel, 'info');
  assert.equal(cfg.secretEncryptionKey, null);
  assert.equal(cfg.bootstrapApiKey, null);
  assert.equal(cfg.secretRotationGraceMs, 24 * 3600 * 1000);
  assert.equal(cfg.workerEnabled, true);
  assert.equal(cfg.deliveryConcurrency, 64);
  assert.equal(cfg.webhookConcurrency, 8);
  assert.equal(cfg.deliveryTimeoutMs, 15_000);
  assert.deepEqual(
    cfg.retryScheduleMs,
    DEFAULT_RETRY_SCHEDULE.split(',').map((s) => Number(s) * 1000),
  );
  assert.deepEqual(cfg.retryScheduleMs, [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  assert.equal(cfg.autoDisableAfter, 20);
  assert.equal(cfg.allowPrivateTargets, false);
  assert.equal(cfg.maxPayloadBytes, 256 * 1024);
  assert.equal(cfg.attemptRetentionDays, 30);
  assert.equal(cfg.maxPageSize, 100);
  assert.equal(cfg.redisUrl, null);
});

test('parses good values', () => {
  const key = randomBytes(32);
  const hex = loadConfig({ SECRET_ENCRYPTION_KEY: key.toString('hex') });
  assert.ok(hex.secretEncryptionKey?.equals(key), 'hex key');
  const upperHex = loadConfig({ SECRET_ENCRYPTION_KEY: key.toString('hex').toUpperCase() });
  assert.ok(upperHex.secretEncryptionKey?.equals(key), 'upper-case hex key');
  const b64 = loadConfig({ SECRET_ENCRYPTION_KEY: key.toString('base64') });
  assert.ok(b64.secretEncryptionKey?.equals(key), 'base64 key');
  const b64url = loadConfig({ SECRET_ENCRYPTION_KEY: key.toString('base64url') });
  assert.ok(b64url.secretEncryptionKey?.equals(key), 'base64url key');

  assert.deepEqual(loadConfig({ RETRY_SCHEDULE: '0.05,0.05' }).retryScheduleMs, [50, 50]);
  assert.deepEqual(loadConfig({ RETRY_SCHEDULE: ' 1.5, 2 ,300' }).retryScheduleMs, [1500, 2000, 300_000]);

  assert.equal(loadConfig({ SECRET_ROTATION_GRACE: '24h' }).secretRotationGraceMs, 86_400_000);
  assert.equal(loadConfig({ SECRET_ROTATION_GRACE: '86400' }).secretRotationGraceMs, 86_400_000);
  assert.equal(loadConfig({ SECRET_ROTATION_GRACE: '30m' }).secretRotationGraceMs, 1_800_000);
  assert.equal(loadConfig({ SECRET_ROTATION_GRACE: '500ms' }).secretRotationGraceMs, 500);

  const cfg = loadConfig({
    PORT: '8080',
    HOST: '127.0.0.1',
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
    LOG_LEVEL: 'debug',
    WORKER_ENABLED: 'false',
    ALLOW_PRIVATE_TARGETS: 'yes',
    GRAPHIQL: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    BOOTSTRAP_API_KEY: 'a-long-enough-bootstrap-key',
  });
  assert.equal(cfg.port, 8080);
  assert.equal(cfg.host, '127.0.0.1');
  assert.equal(cfg.provider, 'postgresql');
  assert.equal(cfg.sqlitePath, null);
  assert.equal(cfg.logLevel, 'debug');
  assert.equal(cfg.workerEnabled, false);
  assert.equal(cfg.allowPrivateTargets, true);
  assert.equal(cfg.graphiql, false);
  assert.equal(cfg.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(cfg.bootstrapApiKey, 'a-long-enough-bootstrap-key');
  assert.equal(loadConfig({ PORT: '0' }).port, 0);
  assert.equal(loadConfig({ DATABASE_URL: 'file:/tmp/x.db?mode=rwc' }).sqlitePath, '/tmp/x.db');
});

test('loadConfig returns a frozen object and reads nothing but its argument', () => {
  const before = process.env.PORT;
  process.env.PORT = 'abc';
  try {
    assert.equal(loadConfig({}).port, 4000);
  } finally {
    if (before === undefined) delete process.env.PORT;
    else process.env.PORT = before;
  }
  assert.ok(Object.isFrozen(loadConfig({})));
});

