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

/** A buffer that renders at most once per frame (`schedule` is requestAnimationFrame in the page). */
export function createLogBuffer<T extends LogRow>(opts: {
  max: number;
  onRender: (rows: T[], waiting: number) => void;
  schedule?: (fn: () => void) => unknown;
}): LogBuffer<T> {
  const schedule = opts.schedule ?? ((fn) => requestAnimationFrame(fn));
  let rows: T[] = [];
  let pending: T[] = [];
  let paused = false;
  let scheduled = false;
  let disposed = false;
  const flush = () => {
    scheduled = false;
    if (disposed) return;
    if (!paused && pending.length) {
      rows = mergeRows(rows, pending, opts.max);
      pending = [];
    }
    opts.onRender(rows, pending.length);
  };
  const request = () => {
    if (scheduled || disposed) return;
    scheduled = true;
    schedule(flush);
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
      request();
    },
    resume() {
      paused = false;
      request();
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
      request();
    },
    dispose() {
      disposed = true;
    },
  };
}
