// The rows a publish inserted leased to this worker (src/base/deliveryRoom.ts),
// held until a slot takes them. Kept per webhook, so picking costs the
// webhooks and the rows picked, not every row held: the worker picks each
// time a slot frees, and under load most held rows belong to webhooks or
// accounts with no room (profiled on PostgreSQL, scenario 1: a pick that
// walked every held row took 8% of the delivery thread).
import type { ClaimedDelivery } from '../db/stores/deliveries.js';

export class OwnedRows {
  /** Every held row and when it arrived, in arrival order (the stale ones are the first). */
  private readonly rows = new Map<string, { row: ClaimedDelivery; since: number }>();
  /** Held ids per webhook, oldest first; the webhooks in the order picks serve them. */
  private readonly byWebhook = new Map<string, Set<string>>();

  get size(): number {
    return this.rows.size;
  }

  add(row: ClaimedDelivery, since: number): void {
    if (this.rows.has(row.id)) return;
    this.rows.set(row.id, { row, since });
    const ids = this.byWebhook.get(row.webhookId);
    if (ids) ids.add(row.id);
    else this.byWebhook.set(row.webhookId, new Set([row.id]));
  }

  /** Stops holding the row; returns it if it was held. */
  take(id: string): ClaimedDelivery | undefined {
    const held = this.rows.get(id);
    if (!held) return undefined;
    this.rows.delete(id);
    const ids = this.byWebhook.get(held.row.webhookId)!;
    ids.delete(id);
    if (!ids.size) this.byWebhook.delete(held.row.webhookId);
    return held.row;
  }

  /** The ids of rows held since `before` or earlier, oldest first. */
  heldSince(before: number): string[] {
    const stale: string[] = [];
    for (const [id, { since }] of this.rows) {
      if (since > before) break;
      stale.push(id);
    }
    return stale;
  }

  ids(): string[] {
    return [...this.rows.keys()];
  }

  clear(): void {
    this.rows.clear();
    this.byWebhook.clear();
  }

  /**
   * Up to `limit` rows, taking from each webhook only as many as it and its
   * account have room for, oldest first within a webhook. Webhooks are
   * served round-robin: a served one goes to the back of the line, so one
   * webhook's backlog cannot keep another's rows waiting.
   */
  pick(limit: number, webhookRoom: (webhookId: string) => number, accountRoom: (accountId: string) => number): ClaimedDelivery[] {
    const picked: ClaimedDelivery[] = [];
    const accountTaken = new Map<string, number>();
    const served: string[] = [];
    for (const [webhookId, ids] of this.byWebhook) {
      if (picked.length >= limit) break;
      // A webhook's rows all belong to one account.
      const accountId = this.rows.get(ids.values().next().value!)!.row.accountId;
      const taken = accountTaken.get(accountId) ?? 0;
      const room = Math.min(webhookRoom(webhookId), accountRoom(accountId) - taken, limit - picked.length);
      if (room <= 0) continue;
      let n = 0;
      for (const id of ids) {
        if (n >= room) break;
        picked.push(this.rows.get(id)!.row);
        n++;
      }
      accountTaken.set(accountId, taken + n);
      served.push(webhookId);
    }
    for (const c of picked) this.take(c.id);
    for (const w of served) {
      const ids = this.byWebhook.get(w);
      if (!ids) continue;
      this.byWebhook.delete(w);
      this.byWebhook.set(w, ids);
    }
    return picked;
  }
}
