// Scenarios 1 and 2 (and the memory figures of 6): deliveries from publish
// to receipt, against a bare undici POST loop to the same receiver and, in
// scenario 1, against the queue baselines of ./queues.ts.
import { sleep } from '../lib/clock.js';
import type { Bench } from '../lib/context.js';
import { cpuWhenSettled, pgBackendPids, processCpuMicros, ProcessSetCpu } from '../lib/cpu.js';
import { createEventType, createWebhooks, headers, publishBody } from '../lib/gql.js';
import { vacuumDatabase, type HooklineServer } from '../lib/server.js';
import { median, summarize, type LatencySummary } from '../lib/stats.js';
import { queueThroughputOnce, type QueueBaseline, type QueueRun } from './queues.js';

export const FANOUT = 10;
/** Hookline's effective delivery concurrency here: min(DELIVERY_CONCURRENCY 256, ACCOUNT_CONCURRENCY 64, 10 webhooks × WEBHOOK_CONCURRENCY 8). */
export const DELIVERY_CONCURRENCY = 64;
const EVENT = 'bench.delivery';

export interface Sample {
  headers: Record<string, string>;
  body: string;
}

export interface DeliverySetup {
  receiverBase: string;
  sample: Sample;
}

/** Ten webhooks pointing at the receiver, a warm-up, and one real delivery to replay as the baseline request. */
export async function prepareDeliveries(
  b: Bench,
  server: Pick<HooklineServer, 'url'> & Partial<Pick<HooklineServer, 'databaseUrl'>>,
): Promise<DeliverySetup> {
  const port = await b.receiver.call<number>('port');
  const receiverBase = `http://127.0.0.1:${port}`;
  await createEventType(server.url, EVENT);
  await createWebhooks(server.url, { count: FANOUT, event: EVENT, namePrefix: 'delivery', targetUrl: (i) => `${receiverBase}/hook/${i}` });
  // Warm-up: JIT, connection pools, SQLite page cache, V8's heap sizing.
  // Not measured. The same number of events as the queue baselines'
  // warm-up (queues.ts). Measured after 300 events (3,000 deliveries), eight
  // repetitions in a row still ran faster one after the other: SQLite CPU
  // per delivery from about 245 µs in the first to 205 µs by the fifth,
  // PostgreSQL from 230 µs to 155 µs. After 1,500 events SQLite's first
  // repetition is within the spread of the later ones; PostgreSQL's still
  // runs 10-20% above them.
  const warm = b.settings.s1WarmEvents;
  await b.receiver.call('reset');
  // Capture one of these deliveries, not one of a queue baseline's warm-up.
  await b.receiver.call('clearSample');
  const pub = await b.agent.call('closedLoop', publishRequest(server, warm, 8), 120_000);
  if (pub.failed) throw new Error(`${pub.failed} of ${warm} warm-up publishes failed`);
  const got = await b.receiver.call('expect', { n: warm * FANOUT, timeoutMs: 60_000 }, 70_000);
  if (!got.reached) throw new Error(`warm-up: the receiver got ${got.count} of ${warm * FANOUT} deliveries in 60 s`);
  if (server.databaseUrl?.startsWith('postgres')) {
    await sleep(500); // the warm-up's last attempts commit
    await vacuumDatabase(server.databaseUrl);
  }
  const raw = await b.receiver.call<Sample | null>('sample');
  if (!raw) throw new Error('no delivery captured from the receiver');
  if (!raw.headers['user-agent']?.startsWith('Hookline/'))
    throw new Error(`the captured delivery is not Hookline's (user-agent ${raw.headers['user-agent']})`);
  const sample: Sample = { headers: { ...raw.headers }, body: raw.body };
  for (const h of ['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']) delete sample.headers[h];
  // The raw path needs its own warm-up: measured cold, the first few thousand
  // POSTs run at a fraction of the steady rate while V8 optimises the
  // receiver and client code, which would flatter Hookline's ratio.
  await rawThroughputOnce(b, { receiverBase, sample }, b.settings.quick ? 2_000 : 6_000);
  await sleep(500);
  return { receiverBase, sample };
}

function publishRequest(server: Pick<HooklineServer, 'url'>, total: number, concurrency: number, extra: Record<string, unknown> = {}) {
  return {
    url: server.url,
    headers: headers(),
    body: publishBody(EVENT, extra),
    mustContain: `"deliveryCount":${FANOUT}`,
    total,
    concurrency,
  };
}

/** One Hookline repetition's figures. CPU figures are NaN for a server that is not a process of its own (profile mode). */
export interface HooklineRun {
  rate: number;
  seconds: number;
  publishSeconds: number;
  avgBody: number;
  /** utime + stime of the server process (all threads), µs per delivery, publish included. */
  serverCpuUs: number;
  /** On PostgreSQL: CPU of the backends serving Hookline's database, µs per delivery. */
  databaseCpuUs: number;
}

/**
 * One Hookline repetition: publish E events (10E deliveries) from 8 publishers
 * and time first publish → last receipt. The server's CPU time is read from
 * /proc before the first publish and once the server is idle again after the
 * last receipt (so the recording of the last attempts counts too).
 */
export async function hooklineThroughputOnce(
  b: Bench,
  server: Pick<HooklineServer, 'url'> & Partial<Pick<HooklineServer, 'child' | 'databaseUrl'>>,
  events: number,
): Promise<HooklineRun> {
  const n = events * FANOUT;
  const limit = b.settings.quick ? 60_000 : 180_000;
  await b.receiver.call('reset');
  const pid = server.child?.pid;
  const pg = server.databaseUrl?.startsWith('postgres') ? server.databaseUrl : null;
  const pgPids = pg ? await pgBackendPids(pg) : [];
  const pgCpu = new ProcessSetCpu(pgPids);
  const cpu0 = pid ? processCpuMicros(pid) : NaN;
  const arrival = b.receiver.call('expect', { n, timeoutMs: limit }, limit + 10_000);
  arrival.catch(() => undefined); // awaited below; a failed publish is the better error
  const pub = await b.agent.call('closedLoop', publishRequest(server, events, b.settings.s1Publishers), limit + 10_000);
  if (pub.failed) throw new Error(`${pub.failed} of ${events} publishes failed`);
  const got = await arrival;
  if (!got.reached) throw new Error(`the receiver got ${got.count} of ${n} deliveries within ${limit / 1000} s`);
  const seconds = (b.receiver.toLocal(got.lastAt) - b.agent.toLocal(pub.startAt)) / 1000;
  const cpu1 = pid ? await cpuWhenSettled(pid) : NaN;
  const databaseCpuUs = pg ? pgCpu.since([...pgPids, ...(await pgBackendPids(pg))]) / n : NaN;
  return {
    rate: n / seconds,
    seconds,
    publishSeconds: (pub.endAt - pub.startAt) / 1000,
    avgBody: got.bytes / got.count,
    serverCpuUs: (cpu1 - cpu0) / n,
    databaseCpuUs,
  };
}

/** One baseline repetition: the same number of POSTs, same body and headers, same concurrency, no database. */
async function rawThroughputOnce(b: Bench, setup: DeliverySetup, n: number) {
  await b.receiver.call('reset');
  const limit = b.settings.quick ? 60_000 : 180_000;
  const [post, got] = await Promise.all([
    b.agent.call(
      'closedLoop',
      {
        url: `${setup.receiverBase}/hook/0`,
        headers: setup.sample.headers,
        body: setup.sample.body,
        total: n,
        concurrency: DELIVERY_CONCURRENCY,
      },
      limit + 10_000,
    ),
    b.receiver.call('expect', { n, timeoutMs: limit }, limit + 10_000),
  ]);
  if (post.failed || !got.reached) throw new Error(`raw baseline: ${post.failed} failed, ${got.count} of ${n} received`);
  return { rate: n / ((b.receiver.toLocal(got.lastAt) - b.agent.toLocal(post.startAt)) / 1000) };
}

export interface ThroughputResult {
  hookline: HooklineRun[];
  /** The raw undici POST loop, deliveries/s. */
  baseline: number[];
  /** Each available queue baseline's runs, by key, in repetition order. */
  queues: Map<QueueBaseline['key'], QueueRun[]>;
  detail: string[];
}

/**
 * Scenario 1: Hookline, the raw POST loop and each queue baseline, one run of
 * each per repetition, interleaved, so drift on a shared machine hits all
 * alike. A queue baseline that fails is reported and left out of later
 * repetitions; Hookline or the raw loop failing fails the scenario.
 */
export async function measureThroughput(
  b: Bench,
  server: HooklineServer,
  setup: DeliverySetup,
  label: string,
  queues: QueueBaseline[] = [],
): Promise<ThroughputResult> {
  const events = b.settings.s1Events;
  const res: ThroughputResult = { hookline: [], baseline: [], queues: new Map(), detail: [] };
  for (let r = 0; r < b.settings.reps; r++) {
    const h = await hooklineThroughputOnce(b, server, events);
    res.hookline.push(h);
    await sleep(500);
    const raw = await rawThroughputOnce(b, setup, events * FANOUT);
    res.baseline.push(raw.rate);
    const cpu =
      `server CPU ${Math.round(h.serverCpuUs)} µs/delivery` +
      (Number.isFinite(h.databaseCpuUs) ? ` + PostgreSQL backends ${Math.round(h.databaseCpuUs)} µs` : '');
    const parts = [
      `${label} rep ${r + 1}: Hookline ${Math.round(h.rate)}/s (${events * FANOUT} deliveries in ${h.seconds.toFixed(2)} s; publishing took ${h.publishSeconds.toFixed(2)} s; ` +
        `body ${Math.round(h.avgBody)} B; ${cpu}), raw undici ${Math.round(raw.rate)}/s`,
    ];
    for (const q of queues) {
      if (!q.role) continue;
      await sleep(300);
      try {
        const run = await queueThroughputOnce(b, q, events);
        const runs = res.queues.get(q.key) ?? [];
        runs.push(run);
        res.queues.set(q.key, runs);
        parts.push(
          `${q.label} ${Math.round(run.rate)}/s (publishing ${run.publishSeconds.toFixed(2)} s; CPU ${Math.round(run.workerCpuUs)} µs + ${q.storeName} ${Math.round(run.storeCpuUs)} µs per delivery)`,
        );
      } catch (err) {
        q.error = `failed in ${label} rep ${r + 1}: ${(err as Error).message.split('\n')[0].slice(0, 200)}`;
        b.log(`${q.label} baseline: ${q.error}`);
        await q.stop();
        q.role = null;
        parts.push(`${q.label} failed`);
      }
    }
    res.detail.push(parts.join(', '));
    b.log(res.detail[res.detail.length - 1]);
    await sleep(500);
  }
  return res;
}

export interface LatencyResult {
  hookline: LatencySummary[];
  baseline: LatencySummary[];
  publishRtt: LatencySummary[];
  deliveriesPerSecond: number;
  detail: string[];
}

/**
 * Scenario 2: paced (open-loop) publishing at `deliveriesPerSecond` / 10
 * events per second; each delivery's latency is receipt time minus the send
 * time stamped into the payload (clocks of the two processes calibrated).
 * Baseline: raw POSTs at the same rate and in the same bursts of ten.
 */
export async function measureLatency(
  b: Bench,
  server: HooklineServer,
  setup: DeliverySetup,
  deliveriesPerSecond: number,
): Promise<LatencyResult> {
  const res: LatencyResult = { hookline: [], baseline: [], publishRtt: [], deliveriesPerSecond, detail: [] };
  const clockSkew = b.receiver.offset - b.agent.offset;
  const durationMs = b.settings.s2DurationMs;
  for (let r = 0; r < b.settings.reps; r++) {
    await b.receiver.call('reset');
    const pub = await b.agent.call(
      'paced',
      {
        url: server.url,
        headers: headers(),
        body: publishBody(EVENT, { sentAt: '__SENT_AT__' }),
        mustContain: `"deliveryCount":${FANOUT}`,
        rate: deliveriesPerSecond / FANOUT,
        durationMs,
      },
      durationMs + 30_000,
    );
    if (pub.failed) throw new Error(`${pub.failed} of ${pub.sent} paced publishes failed`);
    const got = await b.receiver.call('expect', { n: pub.sent * FANOUT, timeoutMs: 60_000 }, 70_000);
    if (!got.reached) throw new Error(`latency run: the receiver got ${got.count} of ${pub.sent * FANOUT} deliveries`);
    const lat = (await b.receiver.call<number[]>('latencies')).map((x) => x - clockSkew);
    const h = summarize(lat);
    res.hookline.push(h);
    res.publishRtt.push(summarize(pub.latencies));

    await b.receiver.call('reset');
    const raw = await b.agent.call(
      'paced',
      {
        url: `${setup.receiverBase}/hook/0`,
        headers: setup.sample.headers,
        body: setup.sample.body,
        rate: deliveriesPerSecond,
        burst: FANOUT,
        durationMs,
      },
      durationMs + 30_000,
    );
    if (raw.failed) throw new Error(`${raw.failed} of ${raw.sent} raw paced POSTs failed`);
    const base = summarize(raw.latencies);
    res.baseline.push(base);
    res.detail.push(
      `rep ${r + 1} at ${Math.round(deliveriesPerSecond)} deliveries/s: Hookline p50 ${h.p50.toFixed(2)} / p99 ${h.p99.toFixed(2)} / max ${h.max.toFixed(2)} ms over ${h.count} deliveries ` +
        `(publish mutation round trip p50 ${res.publishRtt[r].p50.toFixed(2)} ms); raw p50 ${base.p50.toFixed(2)} / p99 ${base.p99.toFixed(2)} / max ${base.max.toFixed(2)} ms over ${base.count}`,
    );
    b.log(res.detail[res.detail.length - 1]);
    await sleep(300);
  }
  return res;
}

export const medianOf = (xs: LatencySummary[], k: keyof LatencySummary) => median(xs.map((x) => x[k]));
