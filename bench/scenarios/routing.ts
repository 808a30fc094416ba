// Scenario 10, routing cost (issue 11): publish throughput when a tenth of the
// webhooks an event fans out to have content filters, against the same
// fan-out without any filter, on one server in the same run. Two accounts,
// each with s10Webhooks webhooks subscribed to one event type:
//
// - "plain": no filters: today's set-based fan-out (the baseline);
// - "filtered": the same, but every tenth webhook has a content filter of
//   three conditions (a numeric comparison, $in and an array element) that
//   the published payload matches, so both fan out to every webhook and the
//   ratio shows what evaluating the filters costs, not a smaller fan-out.
//
// Publishes come from autocannon (the load-generator process) at the
// server's API-only instance (no worker: nothing is delivered, so only the
// publish is measured). Repetitions alternate plain and filtered.
import { sleep } from '../lib/clock.js';
import type { Bench } from '../lib/context.js';
import { createEventType, createWebhooks, gql, headers, publishBody } from '../lib/gql.js';
import { createAccount, type HooklineServer } from '../lib/server.js';

const EVENT = 'bench.route';

interface Tenant {
  name: string;
  apiKey: string;
  filtered: number;
}

export interface RoutingRun {
  rps: number;
  ok: number;
  p50: number;
  p99: number;
}

export interface RoutingResult {
  webhooks: number;
  filtered: number;
  plain: RoutingRun[];
  withFilters: RoutingRun[];
  detail: string[];
}

/** Webhook i's content filter: matched by samplePayload() (total.amount 12950 EUR, an item HL-001). */
const filterOf = (i: number) => ({
  'total.amount': { $gte: 100 + i },
  'total.currency': { $in: ['EUR', 'USD', 'GBP'] },
  'items.sku': 'HL-001',
});

async function tenant(b: Bench, server: HooklineServer, name: string, targetUrl: string, withFilters: boolean): Promise<Tenant> {
  const { apiKey } = await createAccount(server, name);
  await createEventType(server.url, EVENT, apiKey);
  const count = b.settings.s10Webhooks;
  await createWebhooks(server.url, {
    count,
    event: EVENT,
    namePrefix: name,
    targetUrl: () => targetUrl,
    apiKey,
    parallel: 8,
    input: (i) => (withFilters && i % 10 === 0 ? { filter: filterOf(i) } : {}),
  });
  return { name, apiKey, filtered: withFilters ? Math.ceil(count / 10) : 0 };
}

export async function prepareRouting(b: Bench, server: HooklineServer, receiverBase: string): Promise<Tenant[]> {
  const started = Date.now();
  const tenants = [
    await tenant(b, server, 'route-plain', `${receiverBase}/route`, false),
    await tenant(b, server, 'route-filtered', `${receiverBase}/route`, true),
  ];
  b.log(`scenario 10: 2 accounts × ${b.settings.s10Webhooks} webhooks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return tenants;
}

async function storedEvents(server: HooklineServer, t: Tenant): Promise<number> {
  return (
    await gql<{ events: { totalCount: number } }>(server.url, `{ events(first: 1, type: "${EVENT}") { totalCount } }`, undefined, t.apiKey)
  ).events.totalCount;
}

/** One autocannon run of `t`'s publishes; every 2xx must have stored an event with the full fan-out. */
async function run(b: Bench, server: HooklineServer, t: Tenant, durationS: number): Promise<RoutingRun> {
  const before = await storedEvents(server, t);
  const r = await b.agent.call<{ rps: number; ok: number; non2xx: number; errors: number; timeouts: number; p50: number; p99: number }>(
    'autocannon',
    { url: server.url, headers: headers(t.apiKey), body: publishBody(EVENT), connections: b.settings.httpConnections, durationS },
    durationS * 1000 + 30_000,
  );
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`autocannon: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  const stored = (await storedEvents(server, t)) - before;
  // Up to one request per connection may still be in flight when autocannon stops counting.
  if (stored < r.ok || stored > r.ok + b.settings.httpConnections)
    throw new Error(`${r.ok} publishes answered 2xx but ${stored} events were stored`);
  return { rps: r.rps, ok: r.ok, p50: r.p50, p99: r.p99 };
}

export async function measureRouting(b: Bench, server: HooklineServer, tenants: Tenant[]): Promise<RoutingResult> {
  const [plain, filtered] = tenants;
  const s = b.settings;
  // Both fan out to every webhook (the filters match), checked once before measuring.
  for (const t of tenants) {
    const check = await gql<{ publishEvent: { deliveryCount: number; userErrors: { message: string }[] } }>(
      server.url,
      'mutation($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount userErrors { message } } }',
      { input: JSON.parse(publishBody(EVENT)).variables.input },
      t.apiKey,
    );
    if (check.publishEvent.deliveryCount !== s.s10Webhooks) {
      throw new Error(`${t.name}: publishEvent fanned out to ${check.publishEvent.deliveryCount}, not ${s.s10Webhooks}`);
    }
  }
  for (const t of tenants) await run(b, server, t, s.httpWarmupS);
  const res: RoutingResult = { webhooks: s.s10Webhooks, filtered: filtered.filtered, plain: [], withFilters: [], detail: [] };
  for (let rep = 0; rep < s.reps; rep++) {
    const p = await run(b, server, plain, s.httpDurationS);
    const f = await run(b, server, filtered, s.httpDurationS);
    res.plain.push(p);
    res.withFilters.push(f);
    const fmt = (x: RoutingRun) =>
      `${x.rps.toFixed(1)} publishes/s (${Math.round(x.rps * s.s10Webhooks)} deliveries/s written; p50 ${x.p50} ms, p99 ${x.p99} ms)`;
    res.detail.push(`rep ${rep + 1}: without filters ${fmt(p)}; with ${filtered.filtered} filtered webhooks ${fmt(f)}`);
    b.log(`scenario 10 ${res.detail[res.detail.length - 1]}`);
    await sleep(300);
  }
  return res;
}
