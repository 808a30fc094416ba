// A fresh context per request (HTTP or WebSocket): the caller, per-request
// DataLoaders and a request ID. The Prisma client and pubsub are singletons.
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { authenticate } from './accounts/apiKeys.js';
import type { Caller } from './auth/caller.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface Context {
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

export async function createContext(source: ContextSource): Promise<Context> {
  const fromParams = source.connectionParams?.apiKey;
  const key = (typeof fromParams === 'string' ? fromParams : null) ?? (source.request ? apiKeyFromHeaders(source.request.headers) : null);
  const caller = key ? await authenticate(key) : null;
  return {
    caller,
    badKey: !!key && !caller,
    loaders: createLoaders(caller?.accountId ?? null),
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
