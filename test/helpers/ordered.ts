// A receiver script for ordered delivery: answers by the event's number
// (payload `n`), fails chosen tries, and records what it saw, so a test can
// check the order, the blocking and that only one request was ever in flight.
import assert from 'node:assert/strict';
import type { Receiver } from './receiver.js';

export interface OrderedScript {
  /** Each request in arrival order: the event's number and whether it was answered 2xx. */
  requests: { n: number; ok: boolean; timestamp: string; id: string }[];
  mostInFlight: number;
}

export function orderedScript(
  r: Receiver,
  opts: { failFirst?: (n: number) => number; alwaysFail?: (n: number) => boolean; holdMs?: number } = {},
): OrderedScript {
  const script: OrderedScript = { requests: [], mostInFlight: 0 };
  const tries = new Map<number, number>();
  let inFlight = 0;
  r.respond((req, _i, res) => {
    inFlight++;
    script.mostInFlight = Math.max(script.mostInFlight, inFlight);
    const n = req.json.data.n as number;
    const tried = tries.get(n) ?? 0;
    tries.set(n, tried + 1);
    const ok = !opts.alwaysFail?.(n) && tried >= (opts.failFirst?.(n) ?? 0);
    script.requests.push({ n, ok, timestamp: req.json.timestamp, id: req.json.id });
    setTimeout(() => {
      inFlight--;
      res.writeHead(ok ? 200 : 500).end();
    }, opts.holdMs ?? 5);
  });
  return script;
}

/**
 * Events numbered 0..count-1 were published in that order. Checks: one
 * request in flight at a time; requests never go back in event order (a
 * failing delivery is retried before anything behind it is sent); each
 * event succeeds once, in order, except those that failed for good.
 *
 * "Event order" is the events' time and then id, as Hookline defines it;
 * two events published within the same millisecond may swap, so the
 * expected order is read from the bodies' timestamps and ids.
 */
export function assertInOrder(script: OrderedScript, count: number, opts: { failedForGood?: number[] } = {}) {
  assert.equal(script.mostInFlight, 1, `${script.mostInFlight} requests in flight at once`);
  const key = new Map<number, string>();
  for (const q of script.requests) key.set(q.n, `${q.timestamp} ${q.id}`);
  const order = [...key.keys()].sort((x, y) => (key.get(x)! < key.get(y)! ? -1 : 1));
  assert.equal(order.length, count);
  const rank = new Map(order.map((n, i) => [n, i]));
  // Published one after another, so the event order is the publish order but for same-millisecond ties.
  for (let i = 0; i < order.length; i++) assert.ok(Math.abs(order[i] - i) <= 1, `event ${order[i]} is at ${i} in event order`);
  const seen = script.requests.map((q) => rank.get(q.n)!);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i] >= seen[i - 1], `request ${i} (event ${script.requests[i].n}) went out after event ${script.requests[i - 1].n}`);
  }
  const succeeded = script.requests.filter((q) => q.ok).map((q) => q.n);
  const expected = order.filter((n) => !opts.failedForGood?.includes(n));
  assert.deepEqual(succeeded, expected, 'each event succeeded once, in event order');
}
