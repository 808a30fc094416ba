// Scenario 5: live delivery-attempt fan-out to many graphql-ws subscribers,
// against a raw `ws` server broadcasting the same serialised message to the
// same number of raw sockets.
import { sleep } from '../lib/clock.js';
import type { Bench } from '../lib/context.js';
import { headers, publishBody } from '../lib/gql.js';
import { startRole, type Role } from '../lib/proc.js';
import { API_KEY, type HooklineServer } from '../lib/server.js';
import { median, type LatencySummary } from '../lib/stats.js';
import { FANOUT } from './delivery.js';

/** What a delivery-log dashboard would ask for. */
const SUBSCRIPTION = `subscription { deliveryAttempts { id deliveryId webhookId attemptNumber trigger status responseStatus durationMs error createdAt } }`;
const EVENT = 'bench.delivery';

interface ExpectResult {
  reached: boolean;
  clients: number;
  complete: number;
  minCount: number;
  total: number;
  firstAt: number;
  lastAt: number;
  minSource: number;
  maxSource: number;
  latency: LatencySummary;
  errors: number;
  lastError: string;
}

export interface FanoutResult {
  subscribers: number;
  attemptsPerRep: number;
  hookline: number[];
  baseline: number[];
  hooklineLatency: LatencySummary | null;
  baselineLatency: LatencySummary | null;
  pacedRate: number;
  detail: string[];
}

function publishReq(server: HooklineServer, total: number, concurrency: number) {
  // A server busy pushing to 1,000 sockets can take many seconds to answer a
  // publish; a client-side timeout would turn that slowness into lost events.
  return {
    url: server.url,
    headers: headers(),
    body: publishBody(EVENT),
    mustContain: `"deliveryCount":${FANOUT}`,
    total,
    concurrency,
    timeoutMs: 120_000,
  };
}

async function expectAll(subs: Role, perClient: number, timeoutMs: number, what: string): Promise<ExpectResult> {
  const r = await subs.call<ExpectResult>('expect', { perClient, timeoutMs }, timeoutMs + 15_000);
  if (!r.reached) {
    throw new Error(
      `${what}: ${r.complete} of ${r.clients} subscribers got all ${perClient} messages within ${timeoutMs / 1000} s ` +
        `(fewest: ${r.minCount}; errors: ${r.errors}${r.lastError ? `, last: ${r.lastError}` : ''})`,
    );
  }
  return r;
}

export async function measureFanout(b: Bench, server: HooklineServer): Promise<FanoutResult> {
  const S = b.settings.s5Subscribers;
  const events = b.settings.s5Events;
  const A = events * FANOUT;
  const limit = b.settings.quick ? 60_000 : 180_000;
  const res: FanoutResult = {
    subscribers: S,
    attemptsPerRep: A,
    hookline: [],
    baseline: [],
    hooklineLatency: null,
    baselineLatency: null,
    pacedRate: 0,
    detail: [],
  };
  const [subs, bc] = await Promise.all([startRole('subscribers'), startRole('broadcaster')]);
  try {
    await subs.calibrate();
    await bc.calibrate();

    // --- Hookline: graphql-ws subscribers on the delivery server.
    const conn = await subs.call(
      'connectGraphql',
      { url: server.wsUrl, apiKey: API_KEY, count: S, query: SUBSCRIPTION, timeoutMs: 60_000 },
      120_000,
    );
    if (!conn.ok) throw new Error(`only ${conn.connected} of ${S} graphql-ws subscribers connected (${conn.lastError})`);
    b.log(`${S} graphql-ws subscribers connected`);
    // graphql-ws does not acknowledge a subscribe, so a probe event proves every subscription is live.
    await sleep(500);
    await subs.call('reset');
    const probe = await b.agent.call('closedLoop', publishReq(server, 1, 1));
    if (probe.failed) throw new Error('probe publish failed');
    await expectAll(subs, FANOUT, 60_000, 'probe');
    const template = await subs.call<string>('sampleMessage');
    for (let r = 0; r < b.settings.reps; r++) {
      await subs.call('reset');
      const arrival = expectAll(subs, A, limit, 'Hookline fan-out');
      arrival.catch(() => undefined); // awaited below; a failed publish is the better error
      const pub = await b.agent.call('closedLoop', publishReq(server, events, 2), limit);
      if (pub.failed) throw new Error(`${pub.failed} of ${events} publishes failed`);
      const got = await arrival;
      // From the first attempt's completion to the last arrival at the last subscriber.
      const rate = A / ((got.lastAt - got.minSource) / 1000);
      const sourceRate = A / Math.max(0.001, (got.maxSource - got.minSource) / 1000);
      res.hookline.push(rate);
      res.detail.push(
        `Hookline rep ${r + 1}: ${A} attempts × ${S} subscribers in ${((got.lastAt - got.minSource) / 1000).toFixed(2)} s = ${rate.toFixed(1)} attempts/s ` +
          `(${Math.round(rate * S)} messages/s); the attempts themselves completed at ${Math.round(sourceRate)}/s; arrival p99 in this burst ${got.latency.p99.toFixed(0)} ms`,
      );
      b.log(res.detail[res.detail.length - 1]);
      await sleep(500);
    }
    // Latency at half the measured fan-out rate, in bursts of ten attempts (one event).
    res.pacedRate = median(res.hookline) / 2;
    const eventsPerS = res.pacedRate / FANOUT;
    // At least two events per repetition, at most 10 s.
    const pacedMs = Math.min(10_000, Math.max(b.settings.s5PacedMs, 2_000 / eventsPerS));
    const hLat: LatencySummary[] = [];
    for (let r = 0; r < b.settings.reps; r++) {
      await subs.call('reset');
      const pub = await b.agent.call('paced', { ...publishReq(server, 0, 0), rate: eventsPerS, durationMs: pacedMs }, pacedMs + 30_000);
      if (pub.failed) throw new Error(`${pub.failed} paced publishes failed`);
      const got = await expectAll(subs, pub.sent * FANOUT, limit, 'Hookline paced fan-out');
      hLat.push(got.latency);
    }
    await subs.call('closeAll');

    // --- Baseline: the same message, serialised once, broadcast to raw sockets.
    const port = await bc.call<number>('port');
    const raw = await subs.call('connectRaw', { url: `ws://127.0.0.1:${port}`, count: S, timeoutMs: 60_000 }, 120_000);
    if (!raw.ok) throw new Error(`only ${raw.connected} of ${S} raw sockets connected (${raw.lastError})`);
    for (let r = 0; r < b.settings.reps; r++) {
      await subs.call('reset');
      const [sent, got] = await Promise.all([bc.call('burst', { count: A, template }, limit), expectAll(subs, A, limit, 'raw broadcast')]);
      const seconds = (subs.toLocal(got.lastAt) - bc.toLocal(sent.startAt)) / 1000;
      res.baseline.push(A / seconds);
      res.detail.push(
        `raw ws rep ${r + 1}: ${A} messages × ${S} sockets in ${seconds.toFixed(2)} s = ${(A / seconds).toFixed(1)} broadcasts/s (${Math.round((A * S) / seconds)} messages/s)`,
      );
      b.log(res.detail[res.detail.length - 1]);
      await sleep(300);
    }
    const skew = subs.offset - bc.offset;
    const bLat: LatencySummary[] = [];
    for (let r = 0; r < b.settings.reps; r++) {
      await subs.call('reset');
      const sent = await bc.call('paced', { rate: res.pacedRate, durationMs: pacedMs, burst: FANOUT, template }, pacedMs + 30_000);
      const got = await expectAll(subs, sent.sent, limit, 'raw paced broadcast');
      bLat.push({ ...got.latency, p50: got.latency.p50 - skew, p99: got.latency.p99 - skew, max: got.latency.max - skew });
    }
    const med = (xs: LatencySummary[]): LatencySummary => ({
      count: median(xs.map((x) => x.count)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
      max: median(xs.map((x) => x.max)),
    });
    res.hooklineLatency = med(hLat);
    res.baselineLatency = med(bLat);
    res.detail.push(
      `latency at ${res.pacedRate.toFixed(1)} attempts/s (half Hookline's fan-out rate), ${Math.round(pacedMs / 1000)} s per rep: ` +
        `Hookline completion→arrival p50 ${res.hooklineLatency.p50.toFixed(1)} / p99 ${res.hooklineLatency.p99.toFixed(1)} ms; ` +
        `raw send→arrival p50 ${res.baselineLatency.p50.toFixed(1)} / p99 ${res.baselineLatency.p99.toFixed(1)} ms`,
    );
    b.log(res.detail[res.detail.length - 1]);
    await subs.call('closeAll');
  } finally {
    await subs.stop();
    await bc.stop();
  }
  return res;
}
