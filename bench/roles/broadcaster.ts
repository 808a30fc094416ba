// The raw broadcast baseline: a bare `ws` server that sends one serialised
// message to every connected socket, with no GraphQL, no pubsub and no
// per-subscriber work. It is the floor for what any WebSocket fan-out on
// this machine can do, so Hookline's subscriptions are measured against it.
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { now, sleep } from '../lib/clock.js';
import { serve } from '../lib/proc.js';

// Same defaults as Hookline's WebSocketServer (no compression).
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => wss.on('listening', () => resolve()));

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The message with its send time in front, serialised once for all sockets. */
function stamp(template: string): string {
  return `{"sentAt":${now().toFixed(3)},${template.slice(1)}`;
}

function broadcast(msg: string) {
  for (const ws of wss.clients) ws.send(msg);
}

serve({
  port: () => (wss.address() as AddressInfo).port,
  clients: () => wss.clients.size,
  /** `count` messages, each to every socket, as fast as the loop goes (yielding to I/O between messages). */
  burst: async ({ count, template }: { count: number; template: string }) => {
    const startAt = now();
    for (let i = 0; i < count; i++) {
      broadcast(stamp(template));
      await yieldToIo();
    }
    return { startAt, endAt: now() };
  },
  /** `rate` messages per second for durationMs, in bursts of `burst` (Hookline's attempts arrive 10 at a time). */
  paced: async ({ rate, durationMs, burst, template }: { rate: number; durationMs: number; burst: number; template: string }) => {
    const interval = (1000 * burst) / rate;
    const start = now();
    let sent = 0;
    for (let k = 0; ; k++) {
      const due = start + k * interval;
      if (due > start + durationMs) break;
      const wait = due - now();
      if (wait > 0.5) await sleep(wait);
      for (let b = 0; b < burst; b++) {
        broadcast(stamp(template));
        sent++;
        await yieldToIo();
      }
    }
    return { sent, startAt: start, endAt: now() };
  },
});
