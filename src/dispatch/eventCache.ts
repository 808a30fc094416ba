// Events as their publish wrote them, handed to the worker with the new
// deliveries' ids (DueHints.events), so the claim that follows a publish
// need not read them back: on PostgreSQL that read was a round trip and
// about 10 µs of backend time per delivery in benchmark scenario 1.
//
// Events are never changed after they are written, except by retention
// (which clears the payload of events older than its window): an entry is
// kept for seconds, not days, and by the instance's clock, so a test that
// moves time past the window finds it gone. Bounded by an estimate of its
// bytes (a payload may be large) and by count; oldest out first.
import type { StoredEvent } from '../db/stores/events.js';

const TTL_MS = 30_000;
const MAX_BYTES = 16 * 1024 * 1024;
const MAX_ENTRIES = 20_000;

/** Rough bytes held for an event: strings are two bytes a character at worst. */
const sizeOf = (e: StoredEvent) => 256 + 2 * ((e.payload?.length ?? 0) + e.type.length);

export class EventCache {
  private readonly entries = new Map<string, { event: StoredEvent; at: number; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly limits: { ttlMs: number; maxBytes: number; maxEntries: number } = {
      ttlMs: TTL_MS,
      maxBytes: MAX_BYTES,
      maxEntries: MAX_ENTRIES,
    },
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Keeps `events` (published at `now`, in ms), dropping the oldest past the limits. */
  add(events: readonly StoredEvent[], now: number): void {
    for (const event of events) {
      const bytes = sizeOf(event);
      // One event that would take a large share of the cache is not worth holding.
      if (this.entries.has(event.id) || bytes > this.limits.maxBytes / 8) continue;
      this.entries.set(event.id, { event, at: now, bytes });
      this.bytes += bytes;
    }
    while (this.entries.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes) this.dropOldest();
  }

  /** The cached events among `ids`, and the ids to read. */
  lookup(ids: readonly string[], now: number): { found: StoredEvent[]; missing: string[] } {
    this.expire(now);
    const found: StoredEvent[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e) found.push(e.event);
      else missing.push(id);
    }
    return { found, missing };
  }

  /** Entries are in insertion order, which is time order unless the clock went back: then everything goes. */
  private expire(now: number): void {
    for (const [, e] of this.entries) {
      if (e.at > now) return this.clear();
      if (now - e.at < this.limits.ttlMs) return;
      this.dropOldest();
    }
  }

  private dropOldest(): void {
    const first = this.entries.entries().next();
    if (first.done) return;
    this.entries.delete(first.value[0]);
    this.bytes -= first.value[1].bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
