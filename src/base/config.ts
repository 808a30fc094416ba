// The one place that reads the environment. Every setting is declared once,
// in SETTINGS below (a zod schema per variable, with what the README says
// about it); loadConfig parses the environment with it, so a bad setting
// stops start-up with one line naming the variable.
import { z } from 'zod';
import { documented, duration, DURATION_HINT, durationMs, flag, oneOf, optional, text, wholeNumber } from './settings.js';

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
  /** INSTANCE_ID was set: an earlier process may have held leases under this name. */
  instanceIdFixed: boolean;
  /**
   * Initialise a SQLite file that exists but is empty (0 bytes) although the
   * data directory holds a key from an earlier start; off, start-up refuses.
   */
  initEmptyDatabase: boolean;
  /** When set, GET /metrics answers only requests with `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** Label delivery metrics with the account id (off: bounded cardinality whatever the number of tenants). */
  metricsAccountLabels: boolean;
  /** OTLP/HTTP base URL traces are sent to; null: no tracing. */
  otlpEndpoint: string | null;
  /** The service.name traces carry. */
  otelServiceName: string;
  /** `npm run worker` serves /healthz, /readyz and /metrics on this port (on HOST); null: no HTTP. */
  workerPort: number | null;
}

export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`Invalid ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Accepts plain seconds ("86400") or a unit suffix ("24h", "30m", "500ms"). */
export function parseDuration(name: string, raw: string): number {
  const ms = durationMs(raw);
  if (ms === null) throw new ConfigError(name, `${DURATION_HINT}, got "${raw}"`);
  return ms;
}

type Fail = (message: string) => never;

function parseKey(raw: string, fail: Fail): Buffer {
  const v = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const buf = Buffer.from(v, 'base64');
    if (buf.length === 32) return buf;
  }
  return fail('must be 32 bytes, given as 64 hex characters or as base64');
}

function parseRetrySchedule(raw: string, fail: Fail): number[] {
  return raw.split(',').map((part) => {
    const p = part.trim();
    const n = Number(p);
    if (p === '' || !Number.isFinite(n) || n < 0) fail(`expected comma-separated delays in seconds, got "${raw}"`);
    return Math.round(n * 1000);
  });
}

function parseDatabaseUrl(raw: string, fail: Fail): { url: string; provider: Provider; sqlitePath: string | null } {
  if (raw.startsWith('file:')) {
    const path = raw.slice('file:'.length).split('?')[0];
    if (!path) fail('a file: URL needs a path, such as file:./data/hookline.db');
    return { url: raw, provider: 'sqlite', sqlitePath: path };
  }
  if (raw.startsWith('postgresql://') || raw.startsWith('postgres://')) {
    if (!URL.canParse(raw)) fail('is not a valid PostgreSQL URL');
    return { url: raw, provider: 'postgresql', sqlitePath: null };
  }
  return fail(`must start with file: or postgresql://, got "${raw}"`);
}

function parsePublicUrl(raw: string, fail: Fail): string {
  if (!URL.canParse(raw.trim())) fail(`is not a URL: "${raw}"`);
  const url = new URL(raw.trim());
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`must start with http:// or https://, got "${raw}"`);
  if (url.search || url.hash) fail(`must not have a query or fragment, got "${raw}"`);
  return url.toString().replace(/\/+$/, '');
}

function parseHttpUrl(raw: string, fail: Fail): string {
  const v = raw.trim();
  if (!URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol)) fail(`must be an http:// or https:// URL, got "${raw}"`);
  return v.replace(/\/+$/, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_RETRY_SCHEDULE = '5,300,1800,7200,18000,36000,36000';
const DEFAULT_RETRY_SCHEDULE_MS = DEFAULT_RETRY_SCHEDULE.split(',').map((s) => Number(s) * 1000);

/** A port number (0–65535). */
function parsePort(raw: string, fail: Fail): number {
  if (!/^\d+$/.test(raw.trim())) fail(`expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n > 65535) fail(`must be between 0 and 65535, got ${n}`);
  return n;
}

/**
 * Every setting, in the README table's order. `documented` attaches what
 * the table says; the schemas turn raw strings into values.
 */
export const SETTINGS = z.object({
  PORT: documented(wholeNumber(4000, 0, 65535), { default: '4000', description: 'HTTP port (0 picks a free one).' }),
  HOST: documented(
    optional((host, fail) => (/^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : fail(`is not a host name or address: "${host}"`))),
    { default: '0.0.0.0', description: 'Interface to listen on.' },
  ),
  DATABASE_URL: documented(optional(parseDatabaseUrl), {
    default: 'file:./data/hookline.db',
    description: '`file:<path>` for SQLite, or a `postgresql://` URL for PostgreSQL.',
  }),
  DATA_DIR: documented(text('./data'), { default: './data', description: 'Where a generated encryption key is kept.' }),
  LOG_LEVEL: documented(oneOf('info', LOG_LEVELS), {
    default: 'info',
    description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
  }),
  SECRET_ENCRYPTION_KEY: documented(optional(parseKey), {
    default: null,
    defaultText: 'generated',
    description:
      '32 bytes as 64 hex characters or base64; encrypts webhook secrets and custom header values (AES-256-GCM). If unset, one is generated into `DATA_DIR/secret-encryption.key` with a warning.',
  }),
  BOOTSTRAP_API_KEY: documented(
    optional((raw, fail) => {
      const key = raw.trim();
      return key.length < 16 ? fail('must be at least 16 characters long') : key;
    }),
    {
      default: null,
      defaultText: 'unset',
      description:
        'At least 16 characters. Ensures an account `default` with an admin holding this key; `apiKeys` shows only its last four characters.',
    },
  ),
  SECRET_ROTATION_GRACE: documented(duration('24h'), {
    default: '24h',
    description:
      'How long a rotated-out webhook secret keeps signing (`webhook-signature` carries both; `x-hookline-signature-256` stays with the old secret until it ends; see [Verifying signatures](#verifying-signatures)).',
  }),
  GRAPHIQL: documented(flag(true), {
    default: 'true',
    description: 'Serve GraphiQL to browsers on `/graphql` (its assets from `/graphiql/`, no CDN; see [GraphiQL](#graphiql)).',
  }),
  PUBLIC_URL: documented(optional(parsePublicUrl), {
    default: 'http://localhost:<PORT>',
    description:
      'Where people reach this service; console links are `PUBLIC_URL/#link=…` (see [Console links](#console-links)). An `http://` or `https://` URL without query or fragment.',
  }),
  MAX_QUERY_DEPTH: documented(wholeNumber(12, 1, 100), { default: '12', description: 'Deepest allowed selection (1–100).' }),
  MAX_QUERY_COST: documented(wholeNumber(10_000, 1), { default: '10000', description: 'Highest allowed query cost (see Limits).' }),
  MAX_BODY_BYTES: documented(wholeNumber(1_048_576, 1024), {
    default: '1048576',
    description: 'Largest request body (and WebSocket message), at least 1024.',
  }),
  MAX_SUBSCRIPTIONS_PER_SOCKET: documented(wholeNumber(100, 1, 100_000), {
    default: '100',
    description:
      'Operations (subscriptions, and queries in flight) one graphql-ws connection may have at once; the next gets a graphql-ws `error` message with code `TOO_MANY_SUBSCRIPTIONS` (see Limits).',
  }),
  MAX_STREAMS_PER_KEY: documented(wholeNumber(50, 1, 1_000_000), {
    default: '50',
    description:
      'Open graphql-ws connections plus SSE subscription streams per API key, on each instance; over it a WebSocket is closed with 4429 and an SSE request gets HTTP 429 (see Limits).',
  }),
  MAX_STREAMS_PER_ACCOUNT: documented(wholeNumber(200, 1, 1_000_000), {
    default: '200',
    description: 'The same, for all the keys of one account together.',
  }),
  WS_MAX_BUFFERED_BYTES: documented(wholeNumber(1_048_576, 1024), {
    default: '1048576',
    description:
      'A graphql-ws subscriber with more than this many bytes waiting to be sent is closed with code 1013 (try again later), so a slow reader never holds up the others; at least 1024.',
  }),
  WORKER_ENABLED: documented(flag(true), {
    default: 'true',
    description:
      'Run the delivery worker (in a thread of its own) inside `npm start`; `false` for API-only instances (then run `npm run worker` elsewhere).',
  }),
  WORKER_PORT: documented(optional(parsePort), {
    default: null,
    defaultText: 'unset',
    description:
      '`npm run worker` only: serve `/healthz`, `/readyz` and `/metrics` on this port (on `HOST`). Unset, the worker opens no port.',
  }),
  // 256 slots, at most 64 per account: one account alone keeps the 64 it
  // always had, and it takes four accounts with hanging receivers to fill
  // the instance. A slot waiting on a silent receiver costs a socket, not CPU.
  DELIVERY_CONCURRENCY: documented(wholeNumber(256, 1, 10_000), {
    default: '256',
    description: 'Deliveries in flight per instance, all accounts together.',
  }),
  ACCOUNT_CONCURRENCY: documented(wholeNumber(64, 1, 10_000), {
    default: '64',
    description:
      "Deliveries in flight per account and instance: the most of the instance's slots one tenant can hold (see [Fair delivery](#fair-delivery-across-tenants)).",
  }),
  WEBHOOK_CONCURRENCY: documented(wholeNumber(8, 1, 10_000), {
    default: '8',
    description: 'Deliveries in flight per webhook and instance.',
  }),
  DELIVERY_TIMEOUT_MS: documented(wholeNumber(15_000, 1, 600_000), { default: '15000', description: 'Timeout for one delivery request.' }),
  RETRY_SCHEDULE: documented(optional(parseRetrySchedule), {
    default: DEFAULT_RETRY_SCHEDULE,
    description: 'Seconds before each retry after the immediate first attempt (decimals allowed; ±20% jitter).',
  }),
  AUTO_DISABLE_AFTER: documented(wholeNumber(20, 1), {
    default: '20',
    description:
      "Consecutive failed attempts that open a webhook's circuit (see [Circuit breaker](#circuit-breaker)); with `AUTO_DISABLE_WINDOW=0` they turn it `TOO_MANY_ERRORS` at once.",
  }),
  AUTO_DISABLE_WINDOW: documented(duration('24h'), {
    default: '24h',
    description:
      "How long a webhook's circuit stays open (failing its probes) before the webhook becomes `TOO_MANY_ERRORS`; `0`: as soon as it opens.",
  }),
  CIRCUIT_COOLDOWN: documented(duration('30s'), {
    default: '30s',
    description: 'How long an open circuit waits before its first probe delivery; each failed probe doubles it.',
  }),
  CIRCUIT_MAX_COOLDOWN: documented(duration('30m'), {
    default: '30m',
    description: 'The longest cool-down between probes (at least `CIRCUIT_COOLDOWN`).',
  }),
  ALLOW_PRIVATE_TARGETS: documented(flag(false), {
    default: 'false',
    description: 'Allow `http://` and loopback/private/link-local targets (for tests and local development).',
  }),
  MAX_PAYLOAD_BYTES: documented(wholeNumber(262_144, 1), {
    default: '262144',
    description: 'Largest published event payload (which may also nest at most 64 levels; see Limits).',
  }),
  ATTEMPT_RETENTION_DAYS: documented(wholeNumber(30, 1), {
    default: '30',
    description: 'Delivery attempts and event payloads older than this are pruned.',
  }),
  DELIVERY_LEASE: documented(duration('60s'), {
    default: '60s',
    description: "How long a worker's claim on a delivery lasts before another worker may retry it.",
  }),
  WORKER_POLL_MS: documented(wholeNumber(250, 1, 60_000), {
    default: '250',
    description: 'How often an idle worker looks for due deliveries.',
  }),
  WORKER_BATCH_SIZE: documented(wholeNumber(200, 1, 10_000), { default: '200', description: 'Deliveries claimed per batch.' }),
  BULK_BATCH_SIZE: documented(wholeNumber(500, 1, 10_000), {
    default: '500',
    description: 'Rows a bulk operation (`retryDeliveries`, `replayEvents`) handles per transaction.',
  }),
  BULK_PAUSE_MS: documented(wholeNumber(100, 0, 60_000), {
    default: '100',
    description: 'Pause after each bulk-operation batch, so other traffic keeps flowing.',
  }),
  REDIS_URL: documented(
    optional((raw, fail) => {
      const url = raw.trim();
      if (url && !/^rediss?:\/\//.test(url)) fail(`must start with redis:// or rediss://, got "${url}"`);
      return url || null;
    }),
    {
      default: null,
      defaultText: 'unset',
      description: '`redis://` or `rediss://` URL; shares live subscription events across instances. Without it they stay in memory.',
    },
  ),
  INSTANCE_ID: documented(optional(), {
    default: '<pid>-<random>',
    description:
      'Names this process as the owner of its delivery leases. A process started with the INSTANCE_ID of a dead one takes back its leases at once; never give two running processes the same one.',
  }),
  INIT_EMPTY_DATABASE: documented(flag(false), {
    default: 'false',
    description:
      'Start on a SQLite file that exists but is empty (0 bytes) although `DATA_DIR` holds `secret-encryption.key` from an earlier start. Off, start-up refuses: an emptied database file is a sign of lost data, and initialising it would bury that. A 0-byte file on a first start (no key file yet) is initialised either way.',
  }),
  METRICS_TOKEN: documented(
    optional((raw) => raw.trim() || null),
    {
      default: null,
      defaultText: 'unset',
      description:
        'When set, `GET /metrics` answers only requests with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). Unset, it is open, like `/readyz` (see [Metrics](#metrics)).',
    },
  ),
  METRICS_ACCOUNT_LABELS: documented(flag(false), {
    default: 'false',
    description:
      'Add an `account` label (the account id) to the delivery metrics. Off by default so the number of series stays bounded whatever the number of tenants.',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: documented(optional(parseHttpUrl), {
    default: null,
    defaultText: 'unset',
    description:
      'Send OpenTelemetry traces over OTLP/HTTP (JSON) to `<this URL>/v1/traces`, such as `http://otel-collector:4318`. Unset, nothing is traced (see [Traces](#traces)).',
  }),
  OTEL_SERVICE_NAME: documented(text('hookline'), {
    default: 'hookline',
    description: 'The `service.name` resource attribute of the traces.',
  }),
});

export type Settings = z.output<typeof SETTINGS>;

/** The variables SETTINGS declares, in its order. */
export const SETTING_NAMES = Object.keys(SETTINGS.shape) as (keyof typeof SETTINGS.shape)[];

/** Parses `env` with SETTINGS; the first bad variable (in SETTINGS' order) becomes a ConfigError naming it. */
function parseSettings(env: Env): Settings {
  const picked: Record<string, string | undefined> = {};
  for (const name of SETTING_NAMES) picked[name] = typeof env[name] === 'string' ? env[name] : undefined;
  const parsed = SETTINGS.safeParse(picked);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(String(issue.path[0]), issue.message);
}

/** The circuit breaker's cool-downs: the first at least 1 ms, the cap no shorter than the first. */
function circuitCooldowns(s: Settings) {
  const circuitCooldownMs = s.CIRCUIT_COOLDOWN;
  const circuitMaxCooldownMs = s.CIRCUIT_MAX_COOLDOWN;
  if (circuitCooldownMs < 1) throw new ConfigError('CIRCUIT_COOLDOWN', 'must be at least 1ms');
  if (circuitMaxCooldownMs < circuitCooldownMs) {
    throw new ConfigError(
      'CIRCUIT_MAX_COOLDOWN',
      `must be at least CIRCUIT_COOLDOWN (${circuitCooldownMs} ms), got ${circuitMaxCooldownMs} ms`,
    );
  }
  return { circuitCooldownMs, circuitMaxCooldownMs };
}

export function loadConfig(env: Env): Config {
  const s = parseSettings(env);
  const database = s.DATABASE_URL ?? { url: 'file:./data/hookline.db', provider: 'sqlite' as const, sqlitePath: './data/hookline.db' };
  const publicUrl = s.PUBLIC_URL ?? `http://localhost:${s.PORT}`;
  return Object.freeze({
    port: s.PORT,
    host: s.HOST ?? '0.0.0.0',
    databaseUrl: database.url,
    provider: database.provider,
    sqlitePath: database.sqlitePath,
    dataDir: s.DATA_DIR,
    logLevel: s.LOG_LEVEL,
    secretEncryptionKey: s.SECRET_ENCRYPTION_KEY,
    bootstrapApiKey: s.BOOTSTRAP_API_KEY,
    secretRotationGraceMs: s.SECRET_ROTATION_GRACE,
    graphiql: s.GRAPHIQL,
    publicUrl,
    maxQueryDepth: s.MAX_QUERY_DEPTH,
    maxQueryCost: s.MAX_QUERY_COST,
    maxBodyBytes: s.MAX_BODY_BYTES,
    wsMaxBufferedBytes: s.WS_MAX_BUFFERED_BYTES,
    maxSubscriptionsPerSocket: s.MAX_SUBSCRIPTIONS_PER_SOCKET,
    maxStreamsPerKey: s.MAX_STREAMS_PER_KEY,
    maxStreamsPerAccount: s.MAX_STREAMS_PER_ACCOUNT,
    maxPageSize: 100,
    workerEnabled: s.WORKER_ENABLED,
    deliveryConcurrency: s.DELIVERY_CONCURRENCY,
    accountConcurrency: s.ACCOUNT_CONCURRENCY,
    webhookConcurrency: s.WEBHOOK_CONCURRENCY,
    deliveryTimeoutMs: s.DELIVERY_TIMEOUT_MS,
    retryScheduleMs: s.RETRY_SCHEDULE ?? [...DEFAULT_RETRY_SCHEDULE_MS],
    autoDisableAfter: s.AUTO_DISABLE_AFTER,
    autoDisableWindowMs: s.AUTO_DISABLE_WINDOW,
    ...circuitCooldowns(s),
    allowPrivateTargets: s.ALLOW_PRIVATE_TARGETS,
    maxPayloadBytes: s.MAX_PAYLOAD_BYTES,
    attemptRetentionDays: s.ATTEMPT_RETENTION_DAYS,
    leaseMs: s.DELIVERY_LEASE,
    workerPollMs: s.WORKER_POLL_MS,
    workerBatchSize: s.WORKER_BATCH_SIZE,
    bulkBatchSize: s.BULK_BATCH_SIZE,
    bulkPauseMs: s.BULK_PAUSE_MS,
    redisUrl: s.REDIS_URL,
    instanceId: s.INSTANCE_ID ?? `${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    instanceIdFixed: s.INSTANCE_ID !== undefined,
    initEmptyDatabase: s.INIT_EMPTY_DATABASE,
    metricsToken: s.METRICS_TOKEN,
    metricsAccountLabels: s.METRICS_ACCOUNT_LABELS,
    otlpEndpoint: s.OTEL_EXPORTER_OTLP_ENDPOINT,
    otelServiceName: s.OTEL_SERVICE_NAME,
    workerPort: s.WORKER_PORT,
  });
}

/** The process environment: read here, by the entry points, and nowhere else. */
export function processEnv(): Env {
  return process.env;
}

/**
 * The lease a delivery thread takes on a delivery it will send: a claimed
 * delivery may wait for a per-webhook slot before it is sent, so the lease
 * must outlast a full send and a wait behind one. Publishes that lease their
 * new rows to this instance's thread take the same.
 */
export function deliveryLeaseMs(c: Pick<Config, 'leaseMs' | 'deliveryTimeoutMs'>): number {
  return Math.max(c.leaseMs, 2 * c.deliveryTimeoutMs + 2_000);
}
