// Shared by the delivery-log stream tests (one instance, and two on
// PostgreSQL): subscribers over graphql-ws and SSE, a writer of attempts,
// and the check that a stream from a cursor got each later attempt once, in order.
import { sseEvents } from './sse.js';
import assert from 'node:assert/strict';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Gql } from './graphql.js';
import { publish } from './dispatch.js';

export interface Collected {
  items: any[];
  errors: unknown[];
  stop(): Promise<void>;
}

export function wsCollect(url: string, apiKey: string, query: string, variables: Record<string, unknown>): Collected {
  const c: Client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey },
    retryAttempts: 0,
  });
  const out: Collected = { items: [], errors: [], stop: async () => undefined };
  const end = c.subscribe(
    { query, variables },
    {
      next: (r) => (r.errors ? out.errors.push(r.errors) : out.items.push(r.data)),
      error: (e) => out.errors.push(e),
      complete: () => undefined,
    },
  );
  out.stop = async () => {
    end();
    await c.dispose();
  };
  return out;
}

export function sseCollect(url: string, apiKey: string, query: string, variables: Record<string, unknown>): Collected {
  const abort = new AbortController();
  const out: Collected = { items: [], errors: [], stop: async () => abort.abort() };
  void (async () => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': apiKey },
        body: JSON.stringify({ query, variables }),
        signal: abort.signal,
      });
      for await (const r of sseEvents(res)) {
        if (r.errors) out.errors.push(r.errors);
        else if (r.data) out.items.push(r.data);
      }
    } catch (err) {
      if (!abort.signal.aborted) out.errors.push(err);
    }
  })();
  return out;
}

/** Publishes `n` events of `type`, `parallel` at a time (each makes one attempt per subscribed webhook). */
export async function publishMany(gql: Gql, type: string, n: number, parallel = 5): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        next++;
        await publish(gql, type, { n: next });
      }
    }),
  );
}

/** Every attempt of the account, oldest first, as { id, cursor }, read page by page. */
export async function allAttempts(gql: Gql, filter: Record<string, unknown> | null = null): Promise<{ id: string; cursor: string }[]> {
  const out: { id: string; cursor: string }[] = [];
  let after: string | null = null;
  for (;;) {
    const res: any = await gql(
      'query($a: String, $f: DeliveryAttemptFilter) { deliveryAttempts(first: 100, after: $a, filter: $f) { nodes { id cursor } pageInfo { hasNextPage endCursor } } }',
      { a: after, f: filter },
    );
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    out.push(...res.data.deliveryAttempts.nodes);
    if (!res.data.deliveryAttempts.pageInfo.hasNextPage) return out.reverse();
    after = res.data.deliveryAttempts.pageInfo.endCursor;
  }
}

export const STREAM = `subscription($after: String, $f: DeliveryAttemptFilter) {
  deliveryAttempts(after: $after, filter: $f) { id cursor webhookId status }
}`;

/** The stream got exactly the attempts after `cursor`, each once, in the log's order. */
export function assertCaughtUp(what: string, got: Collected, all: { id: string; cursor: string }[], cursor: string) {
  assert.deepEqual(got.errors, [], what);
  const from = all.findIndex((a) => a.cursor === cursor);
  assert.ok(from >= 0, `${what}: the cursor's attempt is in the log`);
  const want = all.slice(from + 1).map((a) => a.id);
  const ids = got.items.map((d) => d.deliveryAttempts.id);
  assert.equal(new Set(ids).size, ids.length, `${what}: no attempt twice`);
  assert.equal(ids.length, want.length, `${what}: ${ids.length} streamed, ${want.length} stored after the cursor`);
  assert.deepEqual(ids, want, `${what}: in the log's order`);
  for (const d of got.items) assert.match(d.deliveryAttempts.cursor, /^[A-Za-z0-9_-]+$/);
}
