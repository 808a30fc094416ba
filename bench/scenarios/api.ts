// Scenarios 3 and 4: the GraphQL HTTP API under autocannon. Scenario 3 runs
// against Yoga's own `{ __typename }` on the same server, same headers, same
// connections; scenario 4 against a raw handler serving the same page from
// the same database without GraphQL (bench/roles/rawapi.ts), with the
// `{ __typename }` floor alongside for information.
import { sleep } from '../lib/clock.js';
import { monotonicMicros } from '../profile.js';
import type { Bench } from '../lib/context.js';
import { request } from 'undici';
import { createEventType, createWebhooks, gql, headers, publishBody } from '../lib/gql.js';
import { startRole, type Role } from '../lib/proc.js';
import type { StatementStats } from '../lib/sql-report.js';
import { API_KEY, ENCRYPTION_KEY, type HooklineServer } from '../lib/server.js';

export const READ_QUERY = `query($first: Int!) {
  webhooks(first: $first, orderBy: { field: NAME, direction: ASC }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id name targetUrl state isActive events registered updated
      owner { id name email }
      registeredAssociate { id name }
      updatedAssociate { id name }
      stats { succeededCount failedCount pendingCount consecutiveFailures lastAttemptAt lastSuccessAt }
    }
  }
}`;

const TYPENAME = JSON.stringify({ query: '{ __typename }' });

export interface CannonResult {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  durationS: number;
}

export interface ApiComparison {
  hookline: CannonResult[];
  baseline: CannonResult[];
  /** 2xx answers to the Hookline operation, warm-up included. */
  hooklineOk: number;
  /** `{ __typename }` without an API key: Yoga with no authentication lookup (only when asked for). */
  anonymous: CannonResult[];
  detail: string[];
}

async function cannon(
  b: Bench,
  url: string,
  body: string,
  durationS: number,
  withKey = true,
  connections = b.settings.httpConnections,
): Promise<CannonResult> {
  const h = headers();
  if (!withKey) delete h['x-api-key'];
  const r = await b.agent.call<CannonResult>('autocannon', { url, headers: h, body, connections, durationS }, durationS * 1000 + 30_000);
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`autocannon: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  return r;
}

/**
 * Warm both, then alternate Hookline and baseline repetitions. With
 * `anonymous`, each repetition also runs `{ __typename }` without the API
 * key, which shows what the per-request key lookup costs.
 */
async function compare(b: Bench, server: HooklineServer, body: string, label: string, anonymous = false): Promise<ApiComparison> {
  const url = server.url;
  // Note when each run hit the server, so profile mode can split its CPU profile.
  const timed = async (name: string, run: () => Promise<CannonResult>) => {
    const from = monotonicMicros();
    const r = await run();
    server.phases.push({ name, from, to: monotonicMicros() });
    return r;
  };
  const s = b.settings;
  const warm = await cannon(b, url, body, s.httpWarmupS);
  await cannon(b, url, TYPENAME, s.httpWarmupS);
  if (anonymous) await cannon(b, url, TYPENAME, s.httpWarmupS, false);
  const res: ApiComparison = { hookline: [], baseline: [], hooklineOk: warm.ok, anonymous: [], detail: [] };
  for (let r = 0; r < s.reps; r++) {
    const h = await timed(`${label}: Hookline runs only`, () => cannon(b, url, body, s.httpDurationS));
    const t = await timed('{ __typename } with API key (the baseline)', () => cannon(b, url, TYPENAME, s.httpDurationS));
    const a = anonymous ? await cannon(b, url, TYPENAME, s.httpDurationS, false) : null;
    res.hookline.push(h);
    res.baseline.push(t);
    if (a) res.anonymous.push(a);
    res.hooklineOk += h.ok;
    res.detail.push(
      `${label} rep ${r + 1}: ${h.rps.toFixed(0)} req/s (p50 ${h.p50} ms, p99 ${h.p99} ms); { __typename } ${t.rps.toFixed(0)} req/s (p50 ${t.p50} ms, p99 ${t.p99} ms)` +
        (a ? `; { __typename } without API key ${a.rps.toFixed(0)} req/s (p50 ${a.p50} ms, p99 ${a.p99} ms)` : ''),
    );
    b.log(res.detail[res.detail.length - 1]);
    await sleep(300);
  }
  return res;
}

export interface ApiSetup {
  webhooks: number;
}

/**
 * 1,000 webhooks: 10 subscribed to bench.publish (the fan-out of scenario
 * 3), the rest to bench.read. Then a little history for the listed ones, so
 * Webhook.stats has rows to count: each bench.read event leaves one pending
 * delivery per webhook (this server runs without a worker).
 */
export async function prepareApi(b: Bench, server: HooklineServer, receiverBase: string): Promise<ApiSetup> {
  const s = b.settings;
  const started = Date.now();
  await createEventType(server.url, 'bench.publish');
  await createEventType(server.url, 'bench.read');
  await createWebhooks(server.url, {
    count: 10,
    event: 'bench.publish',
    namePrefix: 'publish',
    targetUrl: (i) => `${receiverBase}/hook/${i}`,
  });
  await createWebhooks(server.url, {
    count: s.s4Webhooks - 10,
    event: 'bench.read',
    namePrefix: 'read',
    targetUrl: (i) => `${receiverBase}/read/${i}`,
    parallel: 4,
  });
  for (let i = 0; i < s.s4HistoryEvents; i++) {
    const r = await gql(server.url, 'mutation($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount } }', {
      input: { type: 'bench.read', payload: { n: i } },
    });
    if (r.publishEvent.deliveryCount !== s.s4Webhooks - 10) throw new Error(`history event fanned out to ${r.publishEvent.deliveryCount}`);
  }
  b.log(`created ${s.s4Webhooks} webhooks and ${s.s4HistoryEvents} history events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { webhooks: s.s4Webhooks };
}

/** The raw handler of scenario 4 on the database of `server`, in its own process. */
export interface RawApi {
  role: Role;
  url: string;
  /** SQL statements it runs per request (API-key lookup included). */
  statements: number;
  stop(): Promise<void>;
}

export async function startRawApi(server: HooklineServer): Promise<RawApi> {
  const role = await startRole('rawapi');
  try {
    const { port, statements } = await role.call<{ port: number; statements: number }>(
      'start',
      { databaseUrl: server.databaseUrl },
      30_000,
    );
    return {
      role,
      url: `http://127.0.0.1:${port}/graphql`,
      statements,
      stop: async () => {
        await role.call('close', {}, 10_000).catch(() => undefined);
        await role.stop();
      },
    };
  } catch (err) {
    await role.stop();
    throw err;
  }
}

/** The raw handler must answer byte for byte what Hookline answers, or its rate means nothing. */
async function checkSamePage(hooklineUrl: string, rawUrl: string, first: number): Promise<number> {
  const body = JSON.stringify({ query: READ_QUERY, variables: { first } });
  const fetchText = async (url: string) => {
    const res = await request(url, { method: 'POST', headers: headers(), body, headersTimeout: 30_000, bodyTimeout: 30_000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    return text;
  };
  const [h, r] = await Promise.all([fetchText(hooklineUrl), fetchText(rawUrl)]);
  if (h !== r) {
    let i = 0;
    while (i < h.length && h[i] === r[i]) i++;
    throw new Error(
      `the raw handler's page (first: ${first}) differs from Hookline's at byte ${i}: Hookline …${h.slice(Math.max(0, i - 60), i + 60)}… raw …${r.slice(Math.max(0, i - 60), i + 60)}…`,
    );
  }
  return h.length;
}

export interface ReadComparison {
  /** Throughput runs at s4Connections. */
  hookline: CannonResult[];
  raw: CannonResult[];
  /** p99 runs at s4LatencyConnections. */
  hooklineLatency: CannonResult[];
  rawLatency: CannonResult[];
  /** `{ __typename }` with and without the API key at httpConnections (the informational floor). */
  typename: CannonResult[];
  anonymous: CannonResult[];
  pageBytes: number;
  detail: string[];
}

/**
 * Scenario 4: webhooks(first: 50) sorted by name against the raw handler,
 * both at 16 connections for throughput and at 10 for p99, repetitions
 * interleaved. With `floor`, each repetition also runs `{ __typename }` (and,
 * outside --quick, without the API key) on Hookline at 10 connections.
 */
export async function measureRead(b: Bench, server: HooklineServer, raw: RawApi, label: string, floor: boolean): Promise<ReadComparison> {
  const s = b.settings;
  const body = JSON.stringify({ query: READ_QUERY, variables: { first: 50 } });
  const check = await gql(server.url, READ_QUERY, { first: 50 });
  const nodes = check.webhooks.nodes as { stats: { pendingCount: number } }[];
  if (nodes.length !== 50) throw new Error(`webhooks(first: 50) returned ${nodes.length} nodes`);
  const pageBytes = await checkSamePage(server.url, raw.url, 50);
  await checkSamePage(server.url, raw.url, 100);
  const anonymous = floor && !s.quick;
  // Note when each run hit the server, so profile mode can split its CPU profile.
  const timed = async (name: string, run: () => Promise<CannonResult>) => {
    const from = monotonicMicros();
    const r = await run();
    server.phases.push({ name, from, to: monotonicMicros() });
    return r;
  };
  const c16 = s.s4Connections;
  const c10 = s.s4LatencyConnections;
  await cannon(b, server.url, body, s.httpWarmupS, true, c16);
  await cannon(b, raw.url, body, s.httpWarmupS, true, c16);
  if (floor) await cannon(b, server.url, TYPENAME, s.httpWarmupS);
  if (anonymous) await cannon(b, server.url, TYPENAME, s.httpWarmupS, false);
  const res: ReadComparison = {
    hookline: [],
    raw: [],
    hooklineLatency: [],
    rawLatency: [],
    typename: [],
    anonymous: [],
    pageBytes,
    detail: [],
  };
  const fmt = (x: CannonResult) => `${x.rps.toFixed(0)} req/s (p50 ${x.p50} ms, p99 ${x.p99} ms)`;
  for (let r = 0; r < s.reps; r++) {
    const h = await timed(`${label}: Hookline runs only`, () => cannon(b, server.url, body, s.httpDurationS, true, c16));
    const w = await cannon(b, raw.url, body, s.httpDurationS, true, c16);
    const hl = await timed(`${label}: Hookline runs only`, () => cannon(b, server.url, body, s.httpDurationS, true, c10));
    const wl = await cannon(b, raw.url, body, s.httpDurationS, true, c10);
    res.hookline.push(h);
    res.raw.push(w);
    res.hooklineLatency.push(hl);
    res.rawLatency.push(wl);
    let line = `${label} rep ${r + 1}: at ${c16} connections Hookline ${fmt(h)}, raw handler ${fmt(w)}; at ${c10} connections Hookline ${fmt(hl)}, raw handler ${fmt(wl)}`;
    if (floor) {
      const t = await timed('{ __typename } with API key (the floor)', () => cannon(b, server.url, TYPENAME, s.httpDurationS));
      res.typename.push(t);
      line += `; { __typename } ${fmt(t)}`;
      if (anonymous) {
        const a = await cannon(b, server.url, TYPENAME, s.httpDurationS, false);
        res.anonymous.push(a);
        line += `; { __typename } without API key ${fmt(a)}`;
      }
    }
    res.detail.push(line);
    b.log(line);
    await sleep(300);
  }
  return res;
}

export interface SqlCount {
  first: number;
  rows: number;
  statements: number;
  sql: string[];
}

/**
 * The in-process SQL counter (bench/roles/sqlcount.ts) on the same database
 * file. It is started while the data is being seeded, so its start-up (tsx,
 * Prisma) overlaps work that is not measured; it waits for the data before
 * counting.
 */
export function startSqlCounter(server: HooklineServer): Promise<Role> {
  return startRole('sqlcount', {
    DATABASE_URL: server.databaseUrl,
    DATA_DIR: server.dataDir,
    BOOTSTRAP_API_KEY: API_KEY,
    SECRET_ENCRYPTION_KEY: ENCRYPTION_KEY,
    WORKER_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
  });
}

export interface SqlTiming {
  avgMs: number;
  statements: StatementStats[];
}

/**
 * SQL statements per request for several page sizes, counted with onQuery;
 * in profile mode also where a first: 50 request's (and a publish's) time
 * goes in SQLite.
 */
export async function countSql(
  counter: Role,
  profile: boolean,
): Promise<{ counts: SqlCount[]; timing: SqlTiming | null; publishTiming: SqlTiming | null }> {
  try {
    const counts = await counter.call<SqlCount[]>('count', { query: READ_QUERY, sizes: [1, 10, 50, 100], apiKey: API_KEY }, 120_000);
    if (!profile) return { counts, timing: null, publishTiming: null };
    const timing = await counter.call<SqlTiming>('time', { query: READ_QUERY, first: 50, runs: 100, apiKey: API_KEY }, 120_000);
    const publishTiming = await counter.call<SqlTiming>(
      'timePublish',
      { body: publishBody('bench.publish'), runs: 100, apiKey: API_KEY },
      120_000,
    );
    return { counts, timing, publishTiming };
  } finally {
    await counter.stop();
  }
}

export async function measurePublish(b: Bench, server: HooklineServer): Promise<ApiComparison & { stored: number }> {
  const body = publishBody('bench.publish');
  const check = await gql(
    server.url,
    'mutation($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount userErrors { message } } }',
    {
      input: { type: 'bench.publish', payload: { check: true } },
    },
  );
  if (check.publishEvent.deliveryCount !== 10) throw new Error(`publishEvent fanned out to ${check.publishEvent.deliveryCount}, not 10`);
  const count = async () =>
    (await gql(server.url, `{ events(first: 1, type: "bench.publish") { totalCount } }`)).events.totalCount as number;
  const before = await count();
  const res = await compare(b, server, body, 'scenario 3, publishEvent');
  // Every 2xx must be a stored event, or the rate would count failures.
  const stored = (await count()) - before;
  // autocannon stops counting at the deadline, but up to one request per
  // connection is still in flight then and may be stored after.
  const slack = b.settings.httpConnections * (b.settings.reps + 1);
  if (stored < res.hooklineOk || stored > res.hooklineOk + slack) {
    throw new Error(`${res.hooklineOk} publishes answered 2xx but ${stored} events were stored`);
  }
  return { ...res, stored };
}
