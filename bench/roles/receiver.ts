// The webhook receiver: a plain node:http server on 127.0.0.1 that answers
// 200 at once. Hookline's deliveries and the raw undici baseline both hit
// this same process, so both pay exactly the same receiving cost. It runs in
// its own process so it never shares an event loop with the server under
// test or with the load generator.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { now } from '../lib/clock.js';
import { serve } from '../lib/proc.js';

let count = 0;
let firstAt = 0;
let lastAt = 0;
let bytes = 0;
/** receivedAt − data.sentAt for bodies that carry a sentAt (both in epoch ms, each process's own clock). */
let latencies: number[] = [];
let sample: { headers: Record<string, string>; body: string } | null = null;
let waiter: { n: number; resolve(): void } | null = null;

const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    const body = Buffer.concat(chunks).toString('utf8');
    // Every body is parsed, baseline or not, so the work per request is identical.
    let sentAt: unknown;
    try {
      sentAt = (JSON.parse(body) as { data?: { sentAt?: unknown } }).data?.sentAt;
    } catch {
      sentAt = undefined;
    }
    if (typeof sentAt === 'number') latencies.push(at - sentAt);
    if (!count) firstAt = at;
    lastAt = at;
    count++;
    bytes += body.length;
    if (!sample && req.headers['webhook-id']) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      sample = { headers, body };
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
    if (waiter && count >= waiter.n) {
      const w = waiter;
      waiter = null;
      w.resolve();
    }
  });
});
// Long keep-alive, so neither client is charged for reconnecting mid-run.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.maxRequestsPerSocket = 0;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serve({
  port: () => (server.address() as AddressInfo).port,
  reset: () => {
    count = 0;
    firstAt = 0;
    lastAt = 0;
    bytes = 0;
    latencies = [];
    return true;
  },
  /** The first signed delivery seen since start (or since clearSample): its headers and body, replayed by the baseline. */
  sample: () => sample,
  /** Forget the captured delivery, so the next signed one is captured (the queue baselines sign too). */
  clearSample: () => {
    sample = null;
    return true;
  },
  /** Resolves when `n` requests have arrived since the last reset, or after timeoutMs. */
  expect: async ({ n, timeoutMs }: { n: number; timeoutMs: number }) => {
    if (count < n) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        waiter = {
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        };
      });
      waiter = null;
    }
    return { count, firstAt, lastAt, bytes, reached: count >= n };
  },
  latencies: () => latencies,
});
