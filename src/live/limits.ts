// Caps on long-lived streams, so one key (or one account) cannot hold an
// unbounded share of the instance's memory and sockets: every open
// graphql-ws connection and every SSE (or other HTTP) subscription stream
// takes a slot of its API key and of its account until it closes.
// Subscriptions inside one graphql-ws connection are capped separately
// (MAX_SUBSCRIPTIONS_PER_SOCKET, src/server/http.ts).
//
// Counts are per instance: each instance enforces its own limits.

export interface StreamCaps {
  perKey: number;
  perAccount: number;
}

/** A slot held by one stream; release() is idempotent. */
export interface StreamSlot {
  release(): void;
}

export type Acquired = { ok: true; slot: StreamSlot } | { ok: false; scope: 'key' | 'account'; limit: number };

/** Close code for a graphql-ws connection over the cap (graphql-ws clients do not retry it). */
export const TOO_MANY_STREAMS_CLOSE_CODE = 4429;
export const TOO_MANY_STREAMS = 'TOO_MANY_STREAMS';
export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

/** The message for a refused stream, naming the limit and the setting that raises it. */
export function tooManyStreamsMessage(scope: 'key' | 'account', limit: number): string {
  return scope === 'key'
    ? `Too many open streams for this API key: at most ${limit} WebSocket connections and SSE streams (MAX_STREAMS_PER_KEY); close one first`
    : `Too many open streams for this account: at most ${limit} WebSocket connections and SSE streams (MAX_STREAMS_PER_ACCOUNT); close one first`;
}

export function tooManySubscriptionsMessage(limit: number): string {
  return `Too many operations on this connection: at most ${limit} at once (MAX_SUBSCRIPTIONS_PER_SOCKET); complete one first or open another connection`;
}

function bump(counts: Map<string, number>, key: string, by: number) {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

export class StreamLimits {
  private readonly byKey = new Map<string, number>();
  private readonly byAccount = new Map<string, number>();

  constructor(private readonly caps: StreamCaps) {}

  /** Takes a slot for a stream of this key and account, or says which cap it would exceed. */
  acquire(apiKeyId: string, accountId: string): Acquired {
    if ((this.byKey.get(apiKeyId) ?? 0) >= this.caps.perKey) return { ok: false, scope: 'key', limit: this.caps.perKey };
    if ((this.byAccount.get(accountId) ?? 0) >= this.caps.perAccount) return { ok: false, scope: 'account', limit: this.caps.perAccount };
    bump(this.byKey, apiKeyId, 1);
    bump(this.byAccount, accountId, 1);
    let held = true;
    return {
      ok: true,
      slot: {
        release: () => {
          if (!held) return;
          held = false;
          bump(this.byKey, apiKeyId, -1);
          bump(this.byAccount, accountId, -1);
        },
      },
    };
  }

  /** Open streams of a key and of an account (tests and diagnostics). */
  count(by: { apiKeyId?: string; accountId?: string }): number {
    if (by.apiKeyId !== undefined) return this.byKey.get(by.apiKeyId) ?? 0;
    return this.byAccount.get(by.accountId ?? '') ?? 0;
  }
}
