// The live delivery log's bookkeeping, kept apart from rendering so it can be
// measured (bench/console.ts) and reasoned about:
// - rows are kept newest first, by (createdAt, id), without duplicates: the
//   history page and the stream can overlap, and a catch-up after a
//   reconnect overlaps both;
// - a bounded window (`max` rows) so a stream of thousands of attempts per
//   minute never grows the page without limit;
// - arrivals are batched: at most one render per animation frame however
//   many attempts arrive, and none while paused (they wait, counted).
export interface LogRow {
  id: string;
  createdAt: string;
}

export const newestFirst = (a: LogRow, b: LogRow) =>
  a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

/** Merges rows into a newest-first list without duplicates, keeping at most max rows. */
export function mergeRows<T extends LogRow>(current: readonly T[], incoming: readonly T[], max: number): T[] {
  if (!incoming.length) return current as T[];
  const seen = new Set(current.map((r) => r.id));
  const fresh = incoming.filter((r) => !seen.has(r.id) && (seen.add(r.id), true));
  if (!fresh.length) return current as T[];
  return [...fresh, ...current].sort(newestFirst).slice(0, max);
}

export interface LogBuffer<T extends LogRow> {
  push(rows: T | readonly T[]): void;
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Arrivals waiting while paused (or for the next frame). */
  readonly waiting: number;
  rows(): T[];
  replace(rows: T[]): void;
  dispose(): void;
}

/**
 * A buffer that renders at most once per frame (`schedule` is
 * requestAnimationFrame in the page) and, while attempts keep arriving, at
 * most once per `minIntervalMs`: every render of the log re-lays out its
 * table (up to `max` rows), so a render per frame at 200 attempts/s kept the
 * page's main thread busy and a click waited behind it. A first arrival
 * after a quiet spell, and pause/resume, still show on the next frame.
 */
export function createLogBuffer<T extends LogRow>(opts: {
  max: number;
  onRender: (rows: T[], waiting: number) => void;
  schedule?: (fn: () => void) => unknown;
  minIntervalMs?: number;
  now?: () => number;
  delay?: (fn: () => void, ms: number) => unknown;
  cancelDelay?: (handle: unknown) => void;
}): LogBuffer<T> {
  const schedule = opts.schedule ?? ((fn) => requestAnimationFrame(fn));
  const now = opts.now ?? (() => performance.now());
  const delay = opts.delay ?? ((fn, ms) => setTimeout(fn, ms));
  const cancelDelay = opts.cancelDelay ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const minInterval = opts.minIntervalMs ?? 0;
  let rows: T[] = [];
  let pending: T[] = [];
  let paused = false;
  let scheduled = false;
  let timer: unknown = null;
  let lastRender = -Infinity;
  let disposed = false;
  const flush = () => {
    scheduled = false;
    if (disposed) return;
    lastRender = now();
    if (!paused && pending.length) {
      rows = mergeRows(rows, pending, opts.max);
      pending = [];
    }
    opts.onRender(rows, pending.length);
  };
  const request = (urgent = false) => {
    if (scheduled || disposed) return;
    const wait = urgent ? 0 : lastRender + minInterval - now();
    if (wait <= 0) {
      if (timer !== null) cancelDelay(timer);
      timer = null;
      scheduled = true;
      schedule(flush);
    } else if (timer === null) {
      timer = delay(() => {
        timer = null;
        request(true);
      }, wait);
    }
  };
  return {
    push(r) {
      if (Array.isArray(r)) pending.push(...(r as T[]));
      else pending.push(r as T);
      // While paused, keep only what the window could show.
      if (pending.length > opts.max * 2) pending = pending.sort(newestFirst).slice(0, opts.max);
      request();
    },
    pause() {
      paused = true;
      request(true);
    },
    resume() {
      paused = false;
      request(true);
    },
    get paused() {
      return paused;
    },
    get waiting() {
      return pending.length;
    },
    rows: () => rows,
    replace(next) {
      rows = [...next].sort(newestFirst).slice(0, opts.max);
      request(true);
    },
    dispose() {
      disposed = true;
      if (timer !== null) cancelDelay(timer);
    },
  };
}

/** How long a live stream that ended unasked waits before it is opened again. */
export const REOPEN_MS = 1000;

const REFUSAL_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'TOO_MANY_SUBSCRIPTIONS', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']);

/**
 * Why a live stream's error is a refusal (asking again gets the same answer,
 * so the page says so and stops), or null when it is worth asking again: a
 * dropped socket or a server-side fault. graphql-ws reports either the
 * stream's GraphQL errors or the socket's close event.
 */
export function streamRefusal(err: unknown): string | null {
  if (Array.isArray(err)) {
    for (const e of err as { message?: string; extensions?: { code?: unknown } }[]) {
      const code = e?.extensions?.code;
      if (typeof code === 'string' && REFUSAL_CODES.has(code)) return e.message ? `${code}: ${e.message}` : code;
    }
    return null;
  }
  const close = err as { code?: unknown; reason?: unknown } | null;
  if (close && typeof close.code === 'number') {
    // 4400-4499 are graphql-ws's and Hookline's refusals (bad request,
    // unauthorised, forbidden, too many streams) except the time-outs and a
    // duplicate stream id, which a new stream does not repeat.
    if (close.code >= 4400 && close.code < 4500 && close.code !== 4408 && close.code !== 4409 && close.code !== 4499) {
      return `closed ${close.code}${typeof close.reason === 'string' && close.reason ? `: ${close.reason}` : ''}`;
    }
  }
  return null;
}
