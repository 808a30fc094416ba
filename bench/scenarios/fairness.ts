// Scenario 7, noisy neighbour (issue 8): one tenant's receivers hang, and
// another tenant's deliveries must still arrive at once. Account A ("noisy")
// has 8 webhooks to a receiver that never answers (bench/roles/hanging.ts)
// and keeps publishing to them; account B ("quiet") has one webhook to the
// healthy receiver. B's publish→receipt latency is measured with A's slots
// held, and, as the baseline, with A idle, in the same run on the same server.
import { sleep } from '../lib/clock.js';
import type { Bench } from '../lib/context.js';
import { createEventType, createWebhooks, gql, headers, publishBody } from '../lib/gql.js';
import { startRole, type Role } from '../lib/proc.js';
import { createAccount, type HooklineServer } from '../lib/server.js';
import { summarize, type LatencySummary } from '../lib/stats.js';

const EVENT = 'bench.fairness';
/** The noisy account's webhooks, all to the hanging receiver. */
export const NOISY_WEBHOOKS = 8;
/**
 * Requests the noisy account holds open once its receivers hang: its 8
 * webhooks × WEBHOOK_CONCURRENCY 8 = 64 = ACCOUNT_CONCURRENCY, all defaults,
 * a quarter of DELIVERY_CONCURRENCY (256).
 */
export const NOISY_SLOTS = 64;
/** Events the noisy account publishes before the measurement: 160 deliveries, more than it may hold. */
const NOISY_BACKLOG_EVENTS = 20;
/** Events per second each account publishes during a measured window. */
export const FAIRNESS_RATE = 20;
/**
 * Hookline's DELIVERY_TIMEOUT_MS (default, not set here): a held request
 * frees its slot only after this long, so each noisy window (filling the
 * slots, measuring, and the wait for B's last delivery) must end before it.
 */
const DELIVERY_TIMEOUT_MS = 15_000;

interface Tenant {
  apiKey: string;
  webhookIds: string[];
}

export interface FairnessResult {
  /** B's latencies while A's receivers hang, one summary per repetition. */
  noisy: LatencySummary[];
  /** B's latencies with A idle, measured just before, one per repetition. */
  baseline: LatencySummary[];
  durationMs: number;
  detail: string[];
}

async function tenant(b: Bench, server: HooklineServer, name: string, count: number, targetUrl: (i: number) => string): Promise<Tenant> {
  const { apiKey } = await createAccount(server, name);
  await createEventType(server.url, EVENT, apiKey);
  const webhookIds = await createWebhooks(server.url, { count, event: EVENT, namePrefix: name, targetUrl, apiKey });
  b.log(`scenario 7: account ${name} with ${count} webhook(s) to ${targetUrl(0)}`);
  return { apiKey, webhookIds };
}

/** The account's deliveries not yet settled (in flight or waiting), from its webhooks' stats. */
async function pending(server: HooklineServer, t: Tenant): Promise<number> {
  const data = await gql<{ webhooks: { nodes: { stats: { pendingCount: number } }[] } }>(
    server.url,
    `{ webhooks(first: ${t.webhookIds.length}) { nodes { stats { pendingCount } } } }`,
    undefined,
    t.apiKey,
  );
  return data.webhooks.nodes.reduce((a, w) => a + w.stats.pendingCount, 0);
}

/** What the load generator sends for one publish of `t`, and what its answer must say. */
function publishTarget(server: HooklineServer, t: Tenant, webhooks: number, extra: Record<string, unknown> = {}) {
  return {
    url: server.url,
    headers: headers(t.apiKey),
    body: publishBody(EVENT, extra),
    mustContain: `"deliveryCount":${webhooks},`,
  };
}

/** One paced window of B's publishes (with a send time in each payload), and B's latencies from the receiver. */
async function quietWindow(b: Bench, server: HooklineServer, quiet: Tenant, durationMs: number): Promise<LatencySummary> {
  await b.receiver.call('reset');
  const pub = await b.agent.call(
    'paced',
    { ...publishTarget(server, quiet, 1, { sentAt: '__SENT_AT__' }), rate: FAIRNESS_RATE, durationMs },
    durationMs + 30_000,
  );
  if (pub.failed) throw new Error(`${pub.failed} of ${pub.sent} of the quiet account's paced publishes failed`);
  // If A's hanging requests held B up, B's deliveries would come only after
  // A's timeouts free slots: wait past that, so the figure shows it instead
  // of an error.
  const limit = DELIVERY_TIMEOUT_MS + 10_000;
  const got = await b.receiver.call('expect', { n: pub.sent, timeoutMs: limit }, limit + 10_000);
  if (!got.reached) throw new Error(`the quiet account's receiver got ${got.count} of ${pub.sent} deliveries within ${limit / 1000} s`);
  const clockSkew = b.receiver.offset - b.agent.offset;
  return summarize((await b.receiver.call<number[]>('latencies')).map((x) => x - clockSkew));
}

/** Held requests per webhook, in webhook order: "8/8/7/…". */
const perWebhook = (byPath: Record<string, number>) =>
  Array.from({ length: NOISY_WEBHOOKS }, (_, i) => byPath[`/hangs/${i}`] ?? 0).join('/');

const line = (x: LatencySummary) => `p50 ${x.p50.toFixed(2)} / p99 ${x.p99.toFixed(2)} / max ${x.max.toFixed(2)} ms over ${x.count}`;

/**
 * Per repetition: B alone (A idle) for the window, then A's receivers hang —
 * A publishes its backlog, the suite waits until A holds all 64 slots it may,
 * and B publishes for the same window while A keeps publishing at the same
 * rate — then A's receiver answers everything and A's backlog drains, so the
 * next repetition starts idle.
 */
export async function measureFairness(b: Bench, server: HooklineServer): Promise<FairnessResult> {
  const durationMs = b.settings.s7DurationMs;
  const res: FairnessResult = { noisy: [], baseline: [], durationMs, detail: [] };
  const hanging: Role = await startRole('hanging');
  try {
    const hangingBase = `http://127.0.0.1:${await hanging.call<number>('port')}`;
    const receiverBase = `http://127.0.0.1:${await b.receiver.call<number>('port')}`;
    const noisy = await tenant(b, server, 'noisy', NOISY_WEBHOOKS, (i) => `${hangingBase}/hangs/${i}`);
    const quiet = await tenant(b, server, 'quiet', 1, () => `${receiverBase}/hook/quiet`);

    // Warm-up of B's path (JIT, connection pool). Not measured.
    const warm = b.settings.quick ? 10 : 40;
    await b.receiver.call('reset');
    const w = await b.agent.call('closedLoop', { ...publishTarget(server, quiet, 1), total: warm, concurrency: 4 }, 60_000);
    if (w.failed) throw new Error(`${w.failed} of ${warm} warm-up publishes failed`);
    const wg = await b.receiver.call('expect', { n: warm, timeoutMs: 20_000 }, 30_000);
    if (!wg.reached) throw new Error(`warm-up: the receiver got ${wg.count} of ${warm} deliveries in 20 s`);
    await sleep(300);

    const noisyTarget = publishTarget(server, noisy, NOISY_WEBHOOKS);
    for (let r = 0; r < b.settings.reps; r++) {
      const base = await quietWindow(b, server, quiet, durationMs);
      res.baseline.push(base);
      await sleep(300);

      await hanging.call('hang');
      const noisyStartedAt = Date.now();
      const backlog = await b.agent.call('closedLoop', { ...noisyTarget, total: NOISY_BACKLOG_EVENTS, concurrency: 4 }, 60_000);
      if (backlog.failed) throw new Error(`${backlog.failed} of ${NOISY_BACKLOG_EVENTS} of the noisy account's publishes failed`);
      // All 64 of A's slots, or as many as Hookline gives it: a claimed
      // delivery waiting behind its webhook's 8 counts against the account
      // too, so A may hold a few fewer open (61–64 seen).
      const filled = await hanging.call('waitOpen', { n: NOISY_SLOTS, settleMs: 1_000, timeoutMs: 8_000 }, 20_000);
      if (filled.open < NOISY_SLOTS / 2)
        throw new Error(`the noisy account held only ${filled.open} requests open (up to ${NOISY_SLOTS} expected) within 8 s`);
      // A keeps publishing during B's window, so its backlog keeps growing.
      const [h, moreRes] = await Promise.all([
        quietWindow(b, server, quiet, durationMs),
        b.agent.call('paced', { ...noisyTarget, rate: FAIRNESS_RATE, durationMs }, durationMs + 30_000),
      ]);
      if (moreRes.failed) throw new Error(`${moreRes.failed} of ${moreRes.sent} of the noisy account's paced publishes failed`);
      const held = await hanging.call('stats');
      const heldForMs = Date.now() - noisyStartedAt;
      res.noisy.push(h);
      // The figure is only about hanging receivers if A's slots stayed held:
      // none may have timed out and been freed before B's last delivery.
      if (heldForMs >= DELIVERY_TIMEOUT_MS)
        b.log(
          `scenario 7 rep ${r + 1}: A's requests were held ${heldForMs} ms, past DELIVERY_TIMEOUT_MS; some of its slots may have freed`,
        );

      await hanging.call('release');
      const pendingBacklog = await pending(server, noisy);
      const drainStart = Date.now();
      let left = pendingBacklog;
      while (left > 0 && Date.now() - drainStart < 30_000) {
        await sleep(200);
        left = await pending(server, noisy);
      }
      if (left > 0) b.log(`scenario 7 rep ${r + 1}: the noisy account still has ${left} deliveries pending after 30 s`);

      res.detail.push(
        `rep ${r + 1}: quiet account at ${FAIRNESS_RATE} events/s for ${durationMs / 1000} s — noisy account idle: ${line(base)}; ` +
          `noisy account's receivers hanging: ${line(h)}. Noisy account: ${NOISY_BACKLOG_EVENTS} + ${moreRes.sent} events ` +
          `(${(NOISY_BACKLOG_EVENTS + moreRes.sent) * NOISY_WEBHOOKS} deliveries, ${held.received} requests reached its receiver), ` +
          `${filled.open} held open when the window started (per webhook ${perWebhook(filled.byPath)}), ${held.open} at its end (most at once ${held.maxOpen}), its requests hung for up to ${(heldForMs / 1000).toFixed(1)} s (DELIVERY_TIMEOUT_MS ${DELIVERY_TIMEOUT_MS / 1000} s); ` +
          `${pendingBacklog} of its deliveries pending at release, ${left ? `${left} still pending after 30 s` : `drained in ${((Date.now() - drainStart) / 1000).toFixed(1)} s`}`,
      );
      b.log(res.detail[res.detail.length - 1]);
      await sleep(300);
    }
  } finally {
    // Answer anything still held, so the server stops without waiting on it.
    await hanging.call('release', {}, 5_000).catch(() => undefined);
    await hanging.stop();
  }
  return res;
}
