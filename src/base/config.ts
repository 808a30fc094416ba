// The one place that reads the environment. Every value is parsed and checked
// here, so a bad setting stops start-up with a message naming the variable.

export type Provider = 'sqlite' | 'postgresql';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  provider: Provider;
  /** SQLite file path, when provider is sqlite. */
  sqlitePath: string | null;
  dataDir: string;
  logLevel: LogLevel;
  /** 32-byte key, or null to load/generate one in dataDir. */
  secretEncryptionKey: Buffer | null;
  bootstrapApiKey: string | null;
  secretRotationGraceMs: number;
  graphiql: boolean;
  /** Where people reach this service (console links are built on it), without a trailing slash. */
  publicUrl: string;
  maxQueryDepth: number;
  maxQueryCost: number;
  maxBodyBytes: number;
  /** A graphql-ws subscriber with more than this waiting to be written is dropped (close code 1013). */
  wsMaxBufferedBytes: number;
  /** Operations (subscriptions, queries) one graphql-ws connection may have open at once. */
  maxSubscriptionsPerSocket: number;
  /** Open graphql-ws connections plus SSE/HTTP subscription streams per API key. */
  maxStreamsPerKey: number;
  /** The same, per account (all its keys together). */
  maxStreamsPerAccount: number;
  maxPageSize: number;
  workerEnabled: boolean;
  /** Deliveries in flight per instance, all accounts together. */
  deliveryConcurrency: number;
  /**
   * Deliveries one account may have in flight per instance: one tenant's
   * hanging receivers can hold at most this many of the instance's slots.
   */
  accountConcurrency: number;
  webhookConcurrency: number;
  deliveryTimeoutMs: number;
  /** Delays in milliseconds before attempt 2, 3, … */
  retryScheduleMs: number[];
  /** Consecutive failed attempts that open a webhook's circuit (historically: that turned it off). */
  autoDisableAfter: number;
  /** How long a circuit stays open before the webhook is turned off (TOO_MANY_ERRORS); 0: as soon as it opens. */
  autoDisableWindowMs: number;
  /** The first cool-down of an open circuit; each failed probe doubles it, up to circuitMaxCooldownMs. */
  circuitCooldownMs: number;
  circuitMaxCooldownMs: number;
  allowPrivateTargets: boolean;
  maxPayloadBytes: number;
  attemptRetentionDays: number;
  leaseMs: number;
  workerPollMs: number;
  workerBatchSize: number;
  /** Rows a bulk operation handles per transaction. */
  bulkBatchSize: number;
  /** Pause between two batches of bulk operations, so other traffic keeps flowing. */
  bulkPauseMs: number;
  redisUrl: string | null;
  instanceId: string;
  /**
   * Initialise a SQLite file that exists but is empty (0 bytes) although the
   * data directory holds a key from an earlier start; off, start-up refuses.
   */
  initEmptyDatabase: boolean;
}

export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`Invalid ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Accepts plain seconds ("86400") or a unit suffix ("24h", "30m", "500ms"). */
export function parseDuration(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(name, `expected a duration such as 86400, 30m or 24h, got "${raw}"`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 's']);
}

function parseKey(raw: string): Buffer {
  const v = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const buf = Buffer.from(v, 'base64');
    if (buf.length === 32) return buf;
  }
  throw new ConfigError('SECRET_ENCRYPTION_KEY', 'must be 32 bytes, given as 64 hex characters or as base64');
}

function parseRetrySchedule(raw: string): number[] {
  const parts = raw.split(',').map((p) => p.trim());
  return parts.map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n) || n < 0) {
      throw new ConfigError('RETRY_SCHEDULE', `expected comma-separated delays in seconds, got "${raw}"`);
    }
    return Math.round(n * 1000);
  });
}

/** The circuit breaker's cool-downs: the first at least 1 ms, the cap no shorter than the first. */
function circuitCooldowns(env: Env) {
  const circuitCooldownMs = parseDuration('CIRCUIT_COOLDOWN', str(env, 'CIRCUIT_COOLDOWN', '30s'));
  if (circuitCooldownMs < 1) throw new ConfigError('CIRCUIT_COOLDOWN', 'must be at least 1ms');
  const circuitMaxCooldownMs = parseDuration('CIRCUIT_MAX_COOLDOWN', str(env, 'CIRCUIT_MAX_COOLDOWN', '30m'));
  if (circuitMaxCooldownMs < circuitCooldownMs) {
    throw new ConfigError(
      'CIRCUIT_MAX_COOLDOWN',
      `must be at least CIRCUIT_COOLDOWN (${circuitCooldownMs} ms), got ${circuitMaxCooldownMs} ms`,
    );
  }
  return { circuitCooldownMs, circuitMaxCooldownMs };
}

function parseDatabaseUrl(raw: string): { provider: Provider; sqlitePath: string | null } {
  if (raw.startsWith('file:')) {
    const path = raw.slice('file:'.length).split('?')[0];
    if (!path) throw new ConfigError('DATABASE_URL', 'a file: URL needs a path, such as file:./data/hookline.db');
    return { provider: 'sqlite', sqlitePath: path };
  }
  if (raw.startsWith('postgresql://') || raw.startsWith('postgres://')) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid PostgreSQL URL');
    }
    return { provider: 'postgresql', sqlitePath: null };
  }
  throw new ConfigError('DATABASE_URL', `must start with file: or postgresql://, got "${raw}"`);
}

function parsePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('PUBLIC_URL', `is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError('PUBLIC_URL', `must start with http:// or https://, got "${raw}"`);
  if (url.search || url.hash) throw new ConfigError('PUBLIC_URL', `must not have a query or fragment, got "${raw}"`);
  return url.toString().replace(/\/+$/, '');
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const DEFAULT_RETRY_SCHEDULE = '5,300,1800,7200,18000,36000,36000';

export function loadConfig(env: Env): Config {
  const databaseUrl = str(env, 'DATABASE_URL', 'file:./data/hookline.db');
  const { provider, sqlitePath } = parseDatabaseUrl(databaseUrl);
  const logLevel = str(env, 'LOG_LEVEL', 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const host = str(env, 'HOST', '0.0.0.0');
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw new ConfigError('HOST', `is not a host name or address: "${host}"`);
  const redisUrl = env.REDIS_URL ? env.REDIS_URL.trim() : null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', `must start with redis:// or rediss://, got "${redisUrl}"`);
  }
  const bootstrapApiKey = env.BOOTSTRAP_API_KEY ? env.BOOTSTRAP_API_KEY.trim() : null;
  if (bootstrapApiKey !== null && bootstrapApiKey.length < 16) {
    throw new ConfigError('BOOTSTRAP_API_KEY', 'must be at least 16 characters long');
  }
  const maxPageSize = 100;
  const port = int(env, 'PORT', 4000, 0, 65535);
  return Object.freeze({
    port,
    host,
    databaseUrl,
    provider,
    sqlitePath,
    dataDir: str(env, 'DATA_DIR', './data'),
    logLevel,
    secretEncryptionKey: env.SECRET_ENCRYPTION_KEY ? parseKey(env.SECRET_ENCRYPTION_KEY) : null,
    bootstrapApiKey,
    secretRotationGraceMs: parseDuration('SECRET_ROTATION_GRACE', str(env, 'SECRET_ROTATION_GRACE', '24h')),
    graphiql: bool(env, 'GRAPHIQL', true),
    publicUrl: parsePublicUrl(str(env, 'PUBLIC_URL', `http://localhost:${port}`)),
    maxQueryDepth: int(env, 'MAX_QUERY_DEPTH', 12, 1, 100),
    maxQueryCost: int(env, 'MAX_QUERY_COST', 10_000, 1),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 1_048_576, 1024),
    wsMaxBufferedBytes: int(env, 'WS_MAX_BUFFERED_BYTES', 1_048_576, 1024),
    maxSubscriptionsPerSocket: int(env, 'MAX_SUBSCRIPTIONS_PER_SOCKET', 100, 1, 100_000),
    maxStreamsPerKey: int(env, 'MAX_STREAMS_PER_KEY', 50, 1, 1_000_000),
    maxStreamsPerAccount: int(env, 'MAX_STREAMS_PER_ACCOUNT', 200, 1, 1_000_000),
    maxPageSize,
    workerEnabled: bool(env, 'WORKER_ENABLED', true),
    // 256 slots, at most 64 per account: one account alone keeps the 64 it
    // always had, and it takes four accounts with hanging receivers to fill
    // the instance. A slot waiting on a silent receiver costs a socket, not CPU.
    deliveryConcurrency: int(env, 'DELIVERY_CONCURRENCY', 256, 1, 10_000),
    accountConcurrency: int(env, 'ACCOUNT_CONCURRENCY', 64, 1, 10_000),
    webhookConcurrency: int(env, 'WEBHOOK_CONCURRENCY', 8, 1, 10_000),
    deliveryTimeoutMs: int(env, 'DELIVERY_TIMEOUT_MS', 15_000, 1, 600_000),
    retryScheduleMs: parseRetrySchedule(str(env, 'RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE)),
    autoDisableAfter: int(env, 'AUTO_DISABLE_AFTER', 20, 1),
    autoDisableWindowMs: parseDuration('AUTO_DISABLE_WINDOW', str(env, 'AUTO_DISABLE_WINDOW', '24h')),
    ...circuitCooldowns(env),
    allowPrivateTargets: bool(env, 'ALLOW_PRIVATE_TARGETS', false),
    maxPayloadBytes: int(env, 'MAX_PAYLOAD_BYTES', 262_144, 1),
    attemptRetentionDays: int(env, 'ATTEMPT_RETENTION_DAYS', 30, 1),
    leaseMs: parseDuration('DELIVERY_LEASE', str(env, 'DELIVERY_LEASE', '60s')),
    workerPollMs: int(env, 'WORKER_POLL_MS', 250, 1, 60_000),
    workerBatchSize: int(env, 'WORKER_BATCH_SIZE', 200, 1, 10_000),
    bulkBatchSize: int(env, 'BULK_BATCH_SIZE', 500, 1, 10_000),
    bulkPauseMs: int(env, 'BULK_PAUSE_MS', 100, 0, 60_000),
    redisUrl,
    instanceId: str(env, 'INSTANCE_ID', `${process.pid}-${Math.random().toString(36).slice(2, 8)}`),
    initEmptyDatabase: bool(env, 'INIT_EMPTY_DATABASE', false),
  });
}

/** The process environment: read here, by the entry points, and nowhere else. */
export function processEnv(): Env {
  return process.env;
}
