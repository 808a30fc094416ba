// Live-log subscribers, all in one process of their own: graphql-ws
// createClient subscribers to Hookline's deliveryAttempts, or raw `ws`
// sockets for the broadcast baseline. Both kinds parse every message once
// (JSON.parse) and do the same bookkeeping, so the receiving cost is alike.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { now, sleep } from '../lib/clock.js';
import { serve } from '../lib/proc.js';
import { summarize } from '../lib/stats.js';

let counts: number[] = [];
let closers: (() => void)[] = [];
let target = Infinity;
let done = 0;
let firstAt = Infinity;
let lastAt = 0;
let total = 0;
let minSource = Infinity;
let maxSource = -Infinity;
let latencies: number[] = [];
let sampleMessage: string | null = null;
let errors = 0;
let lastError = '';

function reset() {
  counts = counts.map(() => 0);
  target = Infinity;
  done = 0;
  firstAt = Infinity;
  lastAt = 0;
  total = 0;
  minSource = Infinity;
  maxSource = -Infinity;
  latencies = [];
}

/** `source` is when the message was produced: attempt completion, or the raw broadcast's send time. */
function arrived(i: number, source: number) {
  const at = now();
  if (at < firstAt) firstAt = at;
  lastAt = at;
  total++;
  if (source < minSource) minSource = source;
  if (source > maxSource) maxSource = source;
  latencies.push(at - source);
  if (++counts[i] === target) done++;
}

async function closeAll() {
  for (const c of closers) c();
  closers = [];
  counts = [];
  reset();
  await sleep(200);
}

async function waitUntil(cond: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleep(20);
  return cond();
}

serve({
  connectGraphql: async (p: { url: string; apiKey: string; count: number; query: string; timeoutMs: number }) => {
    await closeAll();
    let connected = 0;
    for (let i = 0; i < p.count; i++) {
      counts.push(0);
      const client: Client = createClient({
        url: p.url,
        webSocketImpl: WebSocket,
        connectionParams: { apiKey: p.apiKey },
        lazy: false,
        retryAttempts: 0,
        on: { connected: () => connected++ },
      });
      client.subscribe<{ deliveryAttempts: { createdAt: string } }>(
        { query: p.query },
        {
          next: (r) => {
            const a = r.data?.deliveryAttempts;
            if (!a) {
              errors++;
              lastError = JSON.stringify(r.errors ?? r).slice(0, 300);
              return;
            }
            if (sampleMessage === null)
              sampleMessage = JSON.stringify({ id: '0b0c3a54-4a5b-4a1f-9d40-6f0f3f1b8c11', type: 'next', payload: r });
            arrived(i, Date.parse(a.createdAt));
          },
          error: (e) => {
            errors++;
            lastError = String((e as Error)?.message ?? JSON.stringify(e)).slice(0, 300);
          },
          complete: () => undefined,
        },
      );
      closers.push(() => void client.dispose());
      // Connect in waves, as a fleet of dashboards would, not all in one tick.
      if (i % 50 === 49) await waitUntil(() => connected >= i + 1 - 25, 10_000);
    }
    const ok = await waitUntil(() => connected === p.count, p.timeoutMs);
    return { connected, ok, errors, lastError };
  },

  connectRaw: async (p: { url: string; count: number; timeoutMs: number }) => {
    await closeAll();
    let connected = 0;
    for (let i = 0; i < p.count; i++) {
      counts.push(0);
      const ws = new WebSocket(p.url);
      ws.on('open', () => connected++);
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { sentAt: number };
        arrived(i, m.sentAt);
      });
      ws.on('error', (e) => {
        errors++;
        lastError = e.message;
      });
      closers.push(() => ws.terminate());
      if (i % 50 === 49) await waitUntil(() => connected >= i + 1 - 25, 10_000);
    }
    const ok = await waitUntil(() => connected === p.count, p.timeoutMs);
    return { connected, ok, errors, lastError };
  },

  reset: () => {
    reset();
    return true;
  },

  /** Waits until every subscriber has `perClient` messages since the last reset, or timeoutMs. */
  expect: async ({ perClient, timeoutMs }: { perClient: number; timeoutMs: number }) => {
    target = perClient;
    done = counts.filter((c) => c >= perClient).length;
    const reached = await waitUntil(() => done === counts.length, timeoutMs);
    return {
      reached,
      clients: counts.length,
      complete: done,
      minCount: Math.min(...counts),
      total,
      firstAt,
      lastAt,
      minSource,
      maxSource,
      latency: summarize(latencies),
      errors,
      lastError,
    };
  },

  sampleMessage: () => sampleMessage,
  closeAll,
});
