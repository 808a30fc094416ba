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
  ['MAX_SUBSCRIPTIONS_PER_SOCKET', '0'],
  ['MAX_STREAMS_PER_KEY', 'many'],
  ['MAX_STREAMS_PER_ACCOUNT', '0'],
  ['INIT_EMPTY_DATABASE', 'maybe'],
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
  assert.equal(cfg.deliveryConcurrency, 256);
  assert.equal(cfg.accountConcurrency, 64);
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

// ---- beyond the original cases ---------------------------------------------

/** Asserts the exact ConfigError message, which always starts "Invalid <VARIABLE>: ". */
function rejectsWith(env: Record<string, string>, message: string) {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.name, 'ConfigError');
      assert.equal(err.message, message);
      return true;
    },
  );
}

const VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATA_DIR',
  'LOG_LEVEL',
  'SECRET_ENCRYPTION_KEY',
  'BOOTSTRAP_API_KEY',
  'SECRET_ROTATION_GRACE',
  'GRAPHIQL',
  'MAX_QUERY_DEPTH',
  'MAX_QUERY_COST',
  'MAX_BODY_BYTES',
  'WORKER_ENABLED',
  'DELIVERY_CONCURRENCY',
  'WEBHOOK_CONCURRENCY',
  'DELIVERY_TIMEOUT_MS',
  'RETRY_SCHEDULE',
  'AUTO_DISABLE_AFTER',
  'AUTO_DISABLE_WINDOW',
  'CIRCUIT_COOLDOWN',
  'CIRCUIT_MAX_COOLDOWN',
  'ALLOW_PRIVATE_TARGETS',
  'MAX_PAYLOAD_BYTES',
  'ATTEMPT_RETENTION_DAYS',
  'DELIVERY_LEASE',
  'WORKER_POLL_MS',
  'WORKER_BATCH_SIZE',
  'REDIS_URL',
  'INSTANCE_ID',
  'MAX_SUBSCRIPTIONS_PER_SOCKET',
  'MAX_STREAMS_PER_KEY',
  'MAX_STREAMS_PER_ACCOUNT',
  'INIT_EMPTY_DATABASE',
];

describe('loadConfig: defaults', () => {
  test('the defaults the first test does not list', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.graphiql, true);
    assert.equal(cfg.maxQueryDepth, 12);
    assert.equal(cfg.maxQueryCost, 10_000);
    assert.equal(cfg.maxBodyBytes, 1_048_576);
    assert.equal(cfg.leaseMs, 60_000);
    assert.equal(cfg.workerPollMs, 250);
    assert.equal(cfg.workerBatchSize, 200);
    assert.equal(cfg.maxSubscriptionsPerSocket, 100);
    assert.equal(cfg.maxStreamsPerKey, 50);
    assert.equal(cfg.maxStreamsPerAccount, 200);
    assert.equal(cfg.initEmptyDatabase, false);
    assert.match(cfg.instanceId, new RegExp(`^${process.pid}-[a-z0-9]{1,6}$`));
  });

  test('every variable set to "" means its default', () => {
    const { instanceId: _a, ...unset } = loadConfig({});
    const { instanceId: _b, ...empty } = loadConfig(Object.fromEntries(VARIABLES.map((v) => [v, ''])));
    assert.deepEqual(empty, unset);
  });

  test('plain strings are taken as given', () => {
    const cfg = loadConfig({ DATA_DIR: '/var/lib/hookline', INSTANCE_ID: 'api-1' });
    assert.equal(cfg.dataDir, '/var/lib/hookline');
    assert.equal(cfg.instanceId, 'api-1');
  });
});

describe('loadConfig: numbers and switches', () => {
  test('whole numbers: surrounding spaces and leading zeros are fine', () => {
    assert.equal(loadConfig({ PORT: ' 8080 ' }).port, 8080);
    assert.equal(loadConfig({ PORT: '08080' }).port, 8080);
  });

  test('range limits are inclusive', () => {
    const edges: [string, keyof ReturnType<typeof loadConfig>, number, number | null, number | null][] = [
      // variable, key, accepted edge(s), first refused below, first refused above
      ['PORT', 'port', 65_535, -1, 65_536],
      ['MAX_QUERY_DEPTH', 'maxQueryDepth', 100, 0, 101],
      ['MAX_BODY_BYTES', 'maxBodyBytes', 1024, 1023, null],
      ['DELIVERY_CONCURRENCY', 'deliveryConcurrency', 10_000, 0, 10_001],
      ['ACCOUNT_CONCURRENCY', 'accountConcurrency', 10_000, 0, 10_001],
      ['WEBHOOK_CONCURRENCY', 'webhookConcurrency', 10_000, 0, 10_001],
      ['DELIVERY_TIMEOUT_MS', 'deliveryTimeoutMs', 600_000, 0, 600_001],
      ['WORKER_POLL_MS', 'workerPollMs', 60_000, 0, 60_001],
      ['WORKER_BATCH_SIZE', 'workerBatchSize', 10_000, 0, 10_001],
      ['AUTO_DISABLE_AFTER', 'autoDisableAfter', 1, 0, null],
    ];
    for (const [variable, key, edge, below, above] of edges) {
      assert.equal(loadConfig({ [variable]: String(edge) })[key], edge, `${variable}=${edge}`);
      if (below !== null) rejects({ [variable]: String(below) }, variable);
      if (above !== null) rejects({ [variable]: String(above) }, variable);
    }
  });

  test('messages quote the bad value and the range', () => {
    rejectsWith({ PORT: 'abc' }, 'Invalid PORT: expected a whole number, got "abc"');
    rejectsWith({ PORT: '70000' }, 'Invalid PORT: must be between 0 and 65535, got 70000');
    rejectsWith({ WORKER_POLL_MS: '1e3' }, 'Invalid WORKER_POLL_MS: expected a whole number, got "1e3"');
    rejectsWith({ GRAPHIQL: 'perhaps' }, 'Invalid GRAPHIQL: expected true or false, got "perhaps"');
    rejectsWith({ LOG_LEVEL: 'loud' }, 'Invalid LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
    rejectsWith({ BOOTSTRAP_API_KEY: 'too-short' }, 'Invalid BOOTSTRAP_API_KEY: must be at least 16 characters long');
  });

  test('not whole numbers', () => {
    for (const v of ['1e3', '+80', '80.0', '0x50', ' ', '8 0']) rejects({ PORT: v }, 'PORT');
  });

  test('every spelling of true and false', () => {
    for (const v of ['true', '1', 'yes', 'on', 'TRUE', ' On ', 'Yes'])
      assert.equal(loadConfig({ WORKER_ENABLED: v }).workerEnabled, true, v);
    for (const v of ['false', '0', 'no', 'off', 'FALSE', ' Off ', 'No']) assert.equal(loadConfig({ GRAPHIQL: v }).graphiql, false, v);
    for (const v of ['2', 'y', 'enabled', ' ']) rejects({ ALLOW_PRIVATE_TARGETS: v }, 'ALLOW_PRIVATE_TARGETS');
  });

  test('every log level', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      assert.equal(loadConfig({ LOG_LEVEL: level }).logLevel, level);
  });
});

describe('loadConfig: durations', () => {
  test('plain seconds or a unit suffix, rounded to whole milliseconds', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['90', 90_000],
      ['1.5', 1_500],
      ['250ms', 250],
      ['45s', 45_000],
      ['1.5s', 1_500],
      ['2m', 120_000],
      ['0.5h', 1_800_000],
      ['7d', 604_800_000],
      [' 30m ', 1_800_000],
      ['0.4ms', 0],
      ['1.6ms', 2],
    ];
    for (const [raw, ms] of cases) assert.equal(parseDuration('X', raw), ms, raw);
    assert.equal(loadConfig({ DELIVERY_LEASE: '2m' }).leaseMs, 120_000);
    assert.equal(loadConfig({ DELIVERY_LEASE: '500ms' }).leaseMs, 500);
  });

  test('anything else is refused, naming the variable', () => {
    for (const raw of ['', '-5', '1h30m', '30M', '1w', 'h', '.5s', '1.s', '1e3', '1 h', 'PT1H']) {
      assert.throws(
        () => parseDuration('SOME_DURATION', raw),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.message, `Invalid SOME_DURATION: expected a duration such as 86400, 30m or 24h, got "${raw}"`);
          return true;
        },
        JSON.stringify(raw),
      );
    }
    rejects({ DELIVERY_LEASE: '1h30m' }, 'DELIVERY_LEASE');
    rejects({ SECRET_ROTATION_GRACE: '1w' }, 'SECRET_ROTATION_GRACE');
  });
});

describe('loadConfig: retry schedule', () => {
  test('seconds, comma-separated, to milliseconds in order', () => {
    assert.deepEqual(loadConfig({ RETRY_SCHEDULE: '60' }).retryScheduleMs, [60_000]);
    assert.deepEqual(loadConfig({ RETRY_SCHEDULE: '0' }).retryScheduleMs, [0]);
    assert.deepEqual(loadConfig({ RETRY_SCHEDULE: '10,5,1' }).retryScheduleMs, [10_000, 5_000, 1_000], 'order kept, not sorted');
    assert.deepEqual(loadConfig({ RETRY_SCHEDULE: '0.001,0.0104' }).retryScheduleMs, [1, 10]);
  });

  test('empty parts, negatives and non-numbers are refused with the whole value quoted', () => {
    for (const raw of [',', '5,', ',5', '5;10', '5 10', 'Infinity', 'NaN', '-0.5', 'abc']) {
      rejectsWith({ RETRY_SCHEDULE: raw }, `Invalid RETRY_SCHEDULE: expected comma-separated delays in seconds, got "${raw}"`);
    }
  });
});

describe('loadConfig: DATABASE_URL', () => {
  test('file: URLs are SQLite, with the query string dropped from the path', () => {
    for (const [url, path] of [
      ['file:./data/hookline.db', './data/hookline.db'],
      ['file:hookline.db', 'hookline.db'],
      ['file:/abs/path/x.db?mode=rwc&cache=shared', '/abs/path/x.db'],
    ]) {
      const cfg = loadConfig({ DATABASE_URL: url });
      assert.equal(cfg.provider, 'sqlite', url);
      assert.equal(cfg.sqlitePath, path, url);
      assert.equal(cfg.databaseUrl, url, 'kept as given');
    }
  });

  test('postgresql:// and postgres:// are PostgreSQL, kept as given', () => {
    for (const url of [
      'postgresql://postgres@127.0.0.1:5432/test',
      'postgres://u:p%40ss@db.example.com:5433/hookline?sslmode=require',
      'postgresql:///hookline?host=/var/run/postgresql',
    ]) {
      const cfg = loadConfig({ DATABASE_URL: url });
      assert.equal(cfg.provider, 'postgresql', url);
      assert.equal(cfg.sqlitePath, null);
      assert.equal(cfg.databaseUrl, url);
    }
  });

  test('other forms are refused with a message saying what is wrong', () => {
    rejectsWith({ DATABASE_URL: 'file:' }, 'Invalid DATABASE_URL: a file: URL needs a path, such as file:./data/hookline.db');
    rejectsWith({ DATABASE_URL: 'file:?mode=memory' }, 'Invalid DATABASE_URL: a file: URL needs a path, such as file:./data/hookline.db');
    rejectsWith({ DATABASE_URL: 'postgresql://[bad' }, 'Invalid DATABASE_URL: is not a valid PostgreSQL URL');
    for (const url of ['mysql://x', 'sqlite:./x.db', './data/hookline.db', 'FILE:./x.db', 'Postgres://x/y', 'postgresql:x']) {
      rejectsWith({ DATABASE_URL: url }, `Invalid DATABASE_URL: must start with file: or postgresql://, got "${url}"`);
    }
  });
});

describe('loadConfig: hosts, Redis and keys', () => {
  test('HOST: names and IPv4/IPv6 addresses', () => {
    for (const host of ['localhost', '127.0.0.1', '::', '::1', '[::1]', 'api-1.internal'])
      assert.equal(loadConfig({ HOST: host }).host, host);
    for (const host of ['bad host!', 'a_b', 'http://x', 'x/y']) rejects({ HOST: host }, 'HOST');
  });

  test('REDIS_URL: redis:// or rediss://, trimmed', () => {
    assert.equal(
      loadConfig({ REDIS_URL: 'rediss://user:pw@cache.example.com:6380/0' }).redisUrl,
      'rediss://user:pw@cache.example.com:6380/0',
    );
    assert.equal(loadConfig({ REDIS_URL: ' redis://127.0.0.1:6379 ' }).redisUrl, 'redis://127.0.0.1:6379');
    for (const url of ['127.0.0.1:6379', 'tcp://127.0.0.1:6379', 'REDIS://x']) rejects({ REDIS_URL: url }, 'REDIS_URL');
  });

  test('BOOTSTRAP_API_KEY: 16 characters or more, trimmed', () => {
    assert.equal(loadConfig({ BOOTSTRAP_API_KEY: 'x'.repeat(16) }).bootstrapApiKey, 'x'.repeat(16));
    assert.equal(loadConfig({ BOOTSTRAP_API_KEY: `  ${'y'.repeat(20)}\n` }).bootstrapApiKey, 'y'.repeat(20));
    rejects({ BOOTSTRAP_API_KEY: 'x'.repeat(15) }, 'BOOTSTRAP_API_KEY');
    rejects({ BOOTSTRAP_API_KEY: `  ${'x'.repeat(15)}  ` }, 'BOOTSTRAP_API_KEY');
  });

  test('SECRET_ENCRYPTION_KEY: surrounding spaces are ignored; anything but 32 bytes is refused', () => {
    const key = randomBytes(32);
    assert.ok(loadConfig({ SECRET_ENCRYPTION_KEY: ` ${key.toString('hex')}\n` }).secretEncryptionKey?.equals(key));
    rejects({ SECRET_ENCRYPTION_KEY: randomBytes(33).toString('hex') }, 'SECRET_ENCRYPTION_KEY');
    rejects({ SECRET_ENCRYPTION_KEY: randomBytes(48).toString('base64') }, 'SECRET_ENCRYPTION_KEY');
    rejects({ SECRET_ENCRYPTION_KEY: `${key.toString('hex').slice(0, 63)}g` }, 'SECRET_ENCRYPTION_KEY');
    rejectsWith(
      { SECRET_ENCRYPTION_KEY: 'short' },
      'Invalid SECRET_ENCRYPTION_KEY: must be 32 bytes, given as 64 hex characters or as base64',
    );
  });
});

describe('loadConfig: metrics, traces and the worker port', () => {
  test('defaults: metrics open and without account labels, no tracing, no worker port', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.metricsToken, null);
    assert.equal(cfg.metricsAccountLabels, false);
    assert.equal(cfg.otlpEndpoint, null);
    assert.equal(cfg.otelServiceName, 'hookline');
    assert.equal(cfg.workerPort, null);
  });

  test('good values', () => {
    const cfg = loadConfig({
      METRICS_TOKEN: ' scrape-me ',
      METRICS_ACCOUNT_LABELS: 'yes',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/',
      OTEL_SERVICE_NAME: 'hookline-eu',
      WORKER_PORT: '9464',
    });
    assert.equal(cfg.metricsToken, 'scrape-me');
    assert.equal(cfg.metricsAccountLabels, true);
    assert.equal(cfg.otlpEndpoint, 'http://127.0.0.1:4318', 'a trailing slash is dropped');
    assert.equal(cfg.otelServiceName, 'hookline-eu');
    assert.equal(cfg.workerPort, 9464);
    assert.equal(loadConfig({ WORKER_PORT: '0' }).workerPort, 0);
  });

  test('bad values are refused with one line naming the variable', () => {
    rejectsWith({ WORKER_PORT: 'x' }, 'Invalid WORKER_PORT: expected a whole number, got "x"');
    rejectsWith({ WORKER_PORT: '70000' }, 'Invalid WORKER_PORT: must be between 0 and 65535, got 70000');
    rejectsWith(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://x:4317' },
      'Invalid OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL, got "grpc://x:4317"',
    );
    rejects({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    rejects({ METRICS_ACCOUNT_LABELS: 'perhaps' }, 'METRICS_ACCOUNT_LABELS');
  });

  test('with several bad values, the first in the declared order is named', () => {
    rejectsWith({ WORKER_POLL_MS: '0', PORT: 'abc' }, 'Invalid PORT: expected a whole number, got "abc"');
  });
});

describe('loadConfig: circuit breaker', () => {
  test('defaults: open for 24h before TOO_MANY_ERRORS, cool-downs from 30s up to 30m', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.autoDisableWindowMs, 86_400_000);
    assert.equal(cfg.circuitCooldownMs, 30_000);
    assert.equal(cfg.circuitMaxCooldownMs, 1_800_000);
  });

  test('durations with units; a window of 0 turns the webhook off as soon as its circuit opens', () => {
    const cfg = loadConfig({ AUTO_DISABLE_WINDOW: '0', CIRCUIT_COOLDOWN: '500ms', CIRCUIT_MAX_COOLDOWN: '2s' });
    assert.equal(cfg.autoDisableWindowMs, 0);
    assert.equal(cfg.circuitCooldownMs, 500);
    assert.equal(cfg.circuitMaxCooldownMs, 2000);
  });

  test('a cool-down of 0, or a cap below the first cool-down, is refused', () => {
    rejectsWith({ CIRCUIT_COOLDOWN: '0' }, 'Invalid CIRCUIT_COOLDOWN: must be at least 1ms');
    rejectsWith(
      { CIRCUIT_COOLDOWN: '1m', CIRCUIT_MAX_COOLDOWN: '30s' },
      'Invalid CIRCUIT_MAX_COOLDOWN: must be at least CIRCUIT_COOLDOWN (60000 ms), got 30000 ms',
    );
    rejectsWith({ AUTO_DISABLE_WINDOW: 'soon' }, 'Invalid AUTO_DISABLE_WINDOW: expected a duration such as 86400, 30m or 24h, got "soon"');
  });
});
