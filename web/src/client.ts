// One GraphQL client per signed-in session: urql for queries and mutations
// over HTTP (x-api-key header), graphql-ws for subscriptions on the same
// /graphql path (the key in connectionParams). The WebSocket client retries
// for ever; its connection state is published so pages can say when live
// updates are down and catch up when they come back.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws/client';

export type LiveState = 'connecting' | 'connected' | 'disconnected';

export interface Session {
  urql: Client;
  ws: WsClient;
  liveState(): LiveState;
  /** Called on every change of the socket's state; returns an unsubscribe function. */
  onLiveState(fn: (s: LiveState) => void): () => void;
  dispose(): void;
}

export function createSession(credential: string, onUnauthenticated: () => void): Session {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  let state: LiveState = 'connecting';
  const listeners = new Set<(s: LiveState) => void>();
  const set = (s: LiveState) => {
    state = s;
    for (const l of listeners) l(s);
  };
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { apiKey: credential },
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    // Back off up to 2 s: a restarted server is found within about 2 s of
    // coming back (a 5 s cap left the console disconnected for up to 5 s
    // after a restart that took a few seconds, and failed the reconnect test
    // once in CI).
    retryWait: async (retries) => new Promise((r) => setTimeout(r, Math.min(2000, 300 * 2 ** retries))),
    on: {
      connecting: () => set(state === 'disconnected' ? 'disconnected' : 'connecting'),
      connected: () => set('connected'),
      closed: () => set('disconnected'),
    },
  });
  const urql = new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
    fetchOptions: () => ({ headers: { 'x-api-key': credential } }),
    // A revoked key (or an expired console link) ends the session.
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 401) onUnauthenticated();
      return res;
    },
  });
  return {
    urql,
    ws,
    liveState: () => state,
    onLiveState(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dispose() {
      listeners.clear();
      void ws.dispose();
    },
  };
}

/** Checks a credential: the viewer, or a message saying why it was refused. */
export async function checkCredential(credential: string): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    const res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': credential },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) {
      const unauth = body.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
      return { ok: false, message: unauth ? 'This key or console link is invalid, expired or revoked.' : body.errors[0].message };
    }
    return { ok: true };
  } catch {
    return { ok: false, message: 'Hookline could not be reached. Check that the server is running.' };
  }
}
