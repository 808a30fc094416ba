// The load generator, in its own process: closed-loop and paced undici
// senders (the raw-POST baseline, and the publisher for the delivery
// scenarios) and autocannon for the GraphQL HTTP scenarios.
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { now, sleep } from '../lib/clock.js';
import { serve } from '../lib/proc.js';

// Same pool settings as Hookline's delivery agent (src/dispatch/http.ts), so
// the raw baseline gets no connection-handling advantage.
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 128 });

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A response body must contain this text to count as a success. */
  mustContain?: string;
  /** Per-request time limit; default 15 s, like Hookline's DELIVERY_TIMEOUT_MS. */
  timeoutMs?: number;
}

async function once(t: Target, body: string): Promise<boolean> {
  try {
    const res = await request(t.url, {
      method: 'POST',
      headers: t.headers,
      body,
      dispatcher,
      signal: AbortSignal.timeout(t.timeoutMs ?? 15_000),
      headersTimeout: t.timeoutMs ?? 15_000,
      bodyTimeout: t.timeoutMs ?? 15_000,
    });
    const text = await res.body.text();
    return res.statusCode >= 200 && res.statusCode < 300 && (!t.mustContain || text.includes(t.mustContain));
  } catch {
    return false;
  }
}

const SENT_AT = '"__SENT_AT__"';

serve({
  /**
   * `total` requests, `concurrency` at a time, each worker sending its next
   * request as soon as the previous one answers.
   */
  closedLoop: async (p: Target & { total: number; concurrency: number }) => {
    let next = 0;
    let ok = 0;
    let failed = 0;
    const startAt = now();
    const worker = async () => {
      while (next < p.total) {
        next++;
        if (await once(p, p.body)) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(p.concurrency, p.total) }, worker));
    return { ok, failed, startAt, endAt: now() };
  },

  /**
   * Open loop: `rate` requests per second for `durationMs`, sent on schedule
   * whether or not earlier ones have answered (so a slow server cannot slow
   * the offered load and hide its own latency), in bursts of `burst`.
   * A "__SENT_AT__" string in the body is replaced by the send time.
   */
  paced: async (p: Target & { rate: number; durationMs: number; burst?: number }) => {
    const burst = p.burst ?? 1;
    const interval = (1000 * burst) / p.rate;
    const start = now();
    const inflight = new Set<Promise<void>>();
    const latencies: number[] = [];
    let ok = 0;
    let failed = 0;
    for (let k = 0; ; k++) {
      const due = start + k * interval;
      if (due > start + p.durationMs) break;
      const wait = due - now();
      if (wait > 0.5) await sleep(wait);
      for (let b = 0; b < burst; b++) {
        const sentAt = now();
        const body = p.body.includes(SENT_AT) ? p.body.replace(SENT_AT, sentAt.toFixed(3)) : p.body;
        const pr: Promise<void> = once(p, body).then((good) => {
          latencies.push(now() - sentAt);
          if (good) ok++;
          else failed++;
          inflight.delete(pr);
        });
        inflight.add(pr);
      }
    }
    const sent = ok + failed + inflight.size;
    // Every request has a time limit, so this ends.
    await Promise.all([...inflight]);
    return { sent, ok, failed, latencies, startAt: start, endAt: now() };
  },

  autocannon: async (p: { url: string; headers: Record<string, string>; body: string; connections: number; durationS: number }) => {
    const r = await autocannon({
      url: p.url,
      method: 'POST',
      headers: p.headers,
      body: p.body,
      connections: p.connections,
      duration: p.durationS,
      timeout: 10,
    });
    return {
      rps: r['2xx'] / r.duration,
      ok: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      p50: r.latency.p50,
      p99: r.latency.p99,
      durationS: r.duration,
    };
  },
});
