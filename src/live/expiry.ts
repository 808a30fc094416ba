// Console links expire, and a stream opened with one must end then, as if
// the link had been revoked: at its expiry the link's id goes out as an
// 'api-key-revoked' message, which ends its streams (revocation.ts for SSE,
// fanout.ts for graphql-ws). One timer per link, not per stream. Each
// instance times the links its own streams use (the message it publishes
// reaches the others too, which is harmless: the link has expired there).
import type { Clock } from '../base/clock.js';
import { ManualClock } from '../base/clock.js';
import type { LivePubSub } from './pubsub.js';

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class CredentialExpiry {
  private readonly timers = new Map<string, { expiresAt: Date; timer: NodeJS.Timeout }>();
  private readonly offClock: (() => void) | null;

  constructor(
    private readonly pubsub: LivePubSub,
    private readonly clock: Clock,
  ) {
    // Tests move a ManualClock forward instead of waiting: re-time every link then.
    this.offClock = clock instanceof ManualClock ? clock.onChange(() => this.retime()) : null;
  }

  /** Ends the credential's streams at expiresAt (no-op for credentials that do not expire). */
  watch(credentialId: string, expiresAt: Date | undefined): void {
    if (!expiresAt || this.timers.has(credentialId)) return;
    this.schedule(credentialId, expiresAt);
  }

  private schedule(credentialId: string, expiresAt: Date) {
    const delay = Math.min(Math.max(0, expiresAt.getTime() - this.clock.now().getTime()), MAX_TIMEOUT_MS);
    const timer = setTimeout(() => {
      this.timers.delete(credentialId);
      if (expiresAt.getTime() > this.clock.now().getTime()) return this.schedule(credentialId, expiresAt);
      this.pubsub.publish('api-key-revoked', credentialId);
    }, delay);
    timer.unref();
    this.timers.set(credentialId, { expiresAt, timer });
  }

  private retime() {
    for (const [id, { expiresAt, timer }] of [...this.timers]) {
      clearTimeout(timer);
      this.schedule(id, expiresAt);
    }
  }

  stop(): void {
    this.offClock?.();
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
