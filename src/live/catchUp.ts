// A live stream that starts from a cursor: every stored row after it, then
// the live ones, with no gap and no duplicate even while rows are being
// written. The order of operations is what makes it gap-free:
//
// 1. subscribe to the live topic first and buffer what arrives (and, with
//    Redis, wait until the subscription is confirmed, so other instances'
//    rows committed from now on are sure to arrive);
// 2. read the stored rows after the cursor, page by page, oldest first, and
//    send them; a row committed before a page's read is in that page, and
//    one committed after it was announced after its commit, so it is in the
//    buffer;
// 3. send the buffered and then the live rows, skipping those already sent
//    from storage and those at or before the client's cursor.
//
// Rows are announced in commit order, which is the log's order within one
// writer (src/dispatch/record.ts); rows of several writers committed out of
// their createdAt order still arrive, once, in commit order.
import { compareKeys, type LogKey } from '../domain/log/cursor.js';
import { KEY_REVOKED } from './revocation.js';

export interface CatchUpOptions<T> {
  /** The live rows, already filtered and watched for revocation; not yet iterated. */
  live: AsyncIterable<T | typeof KEY_REVOKED>;
  /** Resolves once the live subscription (started by the first next()) hears every instance. */
  ready: () => Promise<void>;
  /** The client's cursor. */
  after: LogKey;
  /** Stored rows strictly after a key, oldest first, at most `pageSize`. */
  history: (after: LogKey, pageSize: number) => Promise<T[]>;
  keyOf: (row: T) => LogKey;
  idOf: (row: T) => string;
  pageSize?: number;
  /** Rows this much older than the stream's start cannot still be on their way live: their ids need not be remembered. */
  inFlightMs?: number;
  now?: () => number;
}

export async function* catchUp<T>(o: CatchUpOptions<T>): AsyncGenerator<T | typeof KEY_REVOKED> {
  const pageSize = o.pageSize ?? 500;
  const started = (o.now ?? Date.now)();
  const inFlightMs = o.inFlightMs ?? 60_000;
  const live = o.live[Symbol.asyncIterator]();
  const buffer: IteratorResult<T | typeof KEY_REVOKED>[] = [];
  const signal: { wake: (() => void) | null; failure: { err: unknown } | null } = { wake: null, failure: null };
  // Pulls live rows into the buffer from now on (the first next() subscribes).
  const pump = (async () => {
    try {
      for (;;) {
        const r = await live.next();
        buffer.push(r);
        signal.wake?.();
        if (r.done || r.value === KEY_REVOKED) return;
      }
    } catch (err) {
      signal.failure = { err };
      signal.wake?.();
    }
  })();
  const take = async (): Promise<IteratorResult<T | typeof KEY_REVOKED>> => {
    while (!buffer.length) {
      if (signal.failure) throw signal.failure.err;
      await new Promise<void>((resolve) => (signal.wake = resolve));
      signal.wake = null;
    }
    return buffer.shift()!;
  };
  const revoked = () => buffer.some((r) => !r.done && r.value === KEY_REVOKED);
  try {
    await o.ready();
    // Ids sent from storage that may also come live (made recently enough to be in flight).
    const sent = new Set<string>();
    let last = o.after;
    for (;;) {
      if (revoked()) break;
      const page = await o.history(last, pageSize);
      for (const row of page) {
        last = o.keyOf(row);
        if (last.at >= started - inFlightMs) sent.add(o.idOf(row));
        yield row;
      }
      if (page.length < pageSize) break;
    }
    for (;;) {
      const next = await take();
      if (next.done) return;
      const row = next.value;
      if (row === KEY_REVOKED) {
        yield row;
        return;
      }
      if (compareKeys(o.keyOf(row), o.after) <= 0 || sent.delete(o.idOf(row))) continue;
      yield row;
    }
  } finally {
    // Not awaited: the live source ends its pending read when it can (as mapEvents' sources do).
    void live.return?.()?.catch(() => undefined);
    void pump;
  }
}
