// In-process caches for what every request reads: verified API keys and the
// event catalog. They are invalidated at once by the after-commit events of
// the changes that affect them, on this instance through the bus and on the
// others through the database's change notifications (see db/pg.ts).
import type { Caller } from '../base/caller.js';
import type { Bus } from '../base/bus.js';
import type { AppEvents } from '../db/events.js';
import type { EventType } from '../db/stores/eventTypes.js';

const MAX_KEYS = 10_000;
// A safety net only: revocation invalidates at once.
const KEY_TTL_MS = 5 * 60_000;

export class KeyCache {
  private readonly byHash = new Map<string, { caller: Caller; until: number }>();

  get(keyHash: string, now: number): Caller | null {
    const hit = this.byHash.get(keyHash);
    if (!hit) return null;
    if (hit.until < now) {
      this.byHash.delete(keyHash);
      return null;
    }
    return hit.caller;
  }

  set(keyHash: string, caller: Caller, now: number): void {
    if (this.byHash.size >= MAX_KEYS) this.byHash.delete(this.byHash.keys().next().value!);
    this.byHash.set(keyHash, { caller, until: now + KEY_TTL_MS });
  }

  clear(): void {
    this.byHash.clear();
  }

  forgetKey(apiKeyId: string): void {
    for (const [hash, hit] of this.byHash) if (hit.caller.apiKeyId === apiKeyId) this.byHash.delete(hash);
  }

  /** Every credential that acts as this associate (their keys, and links they made). */
  forgetAssociate(associateId: string): void {
    for (const [hash, hit] of this.byHash) if (hit.caller.associateId === associateId) this.byHash.delete(hash);
  }

  get size() {
    return this.byHash.size;
  }
}

/** Custom event types per account, by name (with their payload schemas and examples). */
export class CatalogCache {
  private readonly byAccount = new Map<string, Map<string, EventType>>();
  get(accountId: string): Map<string, EventType> | undefined {
    return this.byAccount.get(accountId);
  }
  set(accountId: string, names: Map<string, EventType>): void {
    if (this.byAccount.size >= 10_000) this.byAccount.delete(this.byAccount.keys().next().value!);
    this.byAccount.set(accountId, names);
  }
  forget(accountId: string): void {
    this.byAccount.delete(accountId);
  }
  clear(): void {
    this.byAccount.clear();
  }
}

export interface Caches {
  keys: KeyCache;
  catalog: CatalogCache;
}

/** Builds the caches and keeps them in step with committed changes; returns them and an unsubscribe. */
export function createCaches(bus: Bus<AppEvents>): { caches: Caches; stop(): void } {
  const caches = { keys: new KeyCache(), catalog: new CatalogCache() };
  const offs = [
    bus.on('apiKey.revoked', (k) => caches.keys.forgetKey(k.apiKeyId)),
    bus.on('associate.changed', (a) => caches.keys.forgetAssociate(a.associateId)),
    bus.on('catalog.changed', (c) => caches.catalog.forget(c.accountId)),
    bus.on('changes.missed', () => {
      caches.keys.clear();
      caches.catalog.clear();
    }),
  ];
  return { caches, stop: () => offs.forEach((off) => off()) };
}
