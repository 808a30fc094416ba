// The delivery thread's copy of the webhooks it delivers to, so a claimed
// batch needs one read (its events) rather than two. Every change to what a
// delivery uses (state, URL, headers, properties, secrets, deletion) raises
// webhook.changed after its commit, on this instance's bus or, from other
// instances, through PostgreSQL NOTIFY; the thread then drops the entry. A
// short lifetime bounds how stale an entry can be if a notification is lost
// (a dropped LISTEN connection). The claim itself checks in the database
// that the webhook is active, whatever the cache holds.
import type { WebhookForDelivery } from './sender.js';

/** How long an entry is used without being read again. */
const TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

export class WebhookCache {
  private readonly entries = new Map<string, { webhook: WebhookForDelivery; until: number }>();
  /** Bumped by every invalidation: a read that began before one must not fill the cache. */
  private generation = 0;

  constructor(private readonly ttlMs = TTL_MS) {}

  /** The cached webhooks among `ids`, and the ids to read. */
  lookup(ids: readonly string[], now = Date.now()): { found: WebhookForDelivery[]; missing: string[]; generation: number } {
    const found: WebhookForDelivery[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e && e.until > now) found.push(e.webhook);
      else missing.push(id);
    }
    return { found, missing, generation: this.generation };
  }

  /** Keeps webhooks read since `lookup` returned `generation`, unless something changed meanwhile. */
  fill(webhooks: readonly WebhookForDelivery[], generation: number, now = Date.now()): void {
    if (generation !== this.generation) return;
    if (this.entries.size + webhooks.length > MAX_ENTRIES) this.entries.clear();
    for (const w of webhooks) this.entries.set(w.id, { webhook: w, until: now + this.ttlMs });
  }

  invalidate(id: string): void {
    this.generation++;
    this.entries.delete(id);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
