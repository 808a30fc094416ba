// A fresh context per request (HTTP, SSE or WebSocket): the instance's state,
// the caller, per-request DataLoaders and a request ID.
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Caller } from '../base/caller.js';
import { authenticate } from '../domain/accounts/apiKeys.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { AppState } from './state.js';

export interface Context {
  app: AppState;
  caller: Caller | null;
  /** True when a key was presented but is unknown or revoked. */
  badKey: boolean;
  loaders: Loaders;
  requestId: string;
}

/** x-api-key, or Authorization: Bearer. */
export function apiKeyFromHeaders(headers: Headers): string | null {
  const direct = headers.get('x-api-key');
  if (direct) return direct.trim();
  const auth = headers.get('authorization');
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return m ? m[1].trim() : null;
}

export interface ContextSource {
  request?: Request;
  connectionParams?: Record<string, unknown>;
}

export async function createContext(app: AppState, source: ContextSource): Promise<Context> {
  const fromParams = source.connectionParams?.apiKey;
  const key = (typeof fromParams === 'string' ? fromParams : null) ?? (source.request ? apiKeyFromHeaders(source.request.headers) : null);
  const caller = key ? await authenticate(app, key) : null;
  return {
    app,
    caller,
    badKey: !!key && !caller,
    loaders: createLoaders(app.sql, app.db, caller?.accountId ?? null),
    requestId: source.request?.headers.get('x-request-id') ?? randomUUID(),
  };
}

export const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** The authenticated caller; the auth plugin guarantees one outside introspection. */
export function callerOf(ctx: Context): Caller {
  if (!ctx.caller) throw unauthenticated('Authentication required: send an API key in x-api-key or Authorization: Bearer');
  return ctx.caller;
}
