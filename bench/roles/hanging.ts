// The noisy tenant's receiver for scenario 7: a plain node:http server on
// 127.0.0.1 that reads each request and then never answers it, like a
// receiver whose process hangs. Every request Hookline sends here holds one
// of its delivery slots until DELIVERY_TIMEOUT_MS. release() answers the held
// requests (and every later one) with 200, so the noisy tenant's backlog
// drains and the next measurement starts from an idle instance. Its own
// process and port: a different origin from the healthy receiver, as another
// tenant's receiver would be, so no connection pool is shared with it.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '../lib/proc.js';

let hanging = true;
/** Held responses, and the request path each answers (one path per webhook). */
const held = new Map<ServerResponse, string>();
/** Requests whose body arrived since the last hang(). */
let received = 0;
/** Most requests held open at once since the last hang(). */
let maxOpen = 0;
/** When the last request arrived (ms, this process's clock). */
let lastArrival = 0;

const answer = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
};

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    lastArrival = Date.now();
    if (!hanging) {
      answer(res);
    } else {
      held.set(res, req.url ?? '');
      maxOpen = Math.max(maxOpen, held.size);
      // Hookline gave up (its timeout) or the connection broke.
      res.on('close', () => held.delete(res));
    }
  });
});
// Held requests must not be cut by the server's own timers.
server.requestTimeout = 0;
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

/** Requests held open now, per path. */
function openByPath(): Record<string, number> {
  const by: Record<string, number> = {};
  for (const path of held.values()) by[path] = (by[path] ?? 0) + 1;
  return by;
}

const stats = () => ({ open: held.size, maxOpen, received, hanging, byPath: openByPath() });

serve({
  port: () => (server.address() as AddressInfo).port,
  /** From now on, hold every request open; counters start again. */
  hang: () => {
    hanging = true;
    received = 0;
    maxOpen = held.size;
    return stats();
  },
  /** Answer the held requests and every later one with 200. */
  release: () => {
    hanging = false;
    for (const res of held.keys()) answer(res);
    held.clear();
    return stats();
  },
  stats,
  /**
   * Resolves when `n` requests are held open at once, or when requests have
   * been held and none arrived for `settleMs` (the sender holds all it will),
   * or after timeoutMs.
   */
  waitOpen: async ({ n, settleMs, timeoutMs }: { n: number; settleMs: number; timeoutMs: number }) => {
    const deadline = Date.now() + timeoutMs;
    const settled = () => held.size >= n || (held.size > 0 && Date.now() - lastArrival >= settleMs) || Date.now() >= deadline;
    while (!settled()) await new Promise((r) => setTimeout(r, 20));
    return stats();
  },
});
