// A fresh context per request (HTTP, SSE or WebSocket): the instance's state,
// the caller, per-request DataLoaders and a request ID.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../base/caller.js';
import { AUTH_REQUIRED, presentedCredential, resolveCaller, unauthenticated, type CredentialSource } from './auth.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { AppState } from './state.js';

export { apiKeyFromHeaders, unauthenticated } from './auth.js';

export interface Context {
  app: AppState;
  caller: Caller | null;
  /** True when a credential was presented but is unknown, revoked or expired. */
  badKey: boolean;
  loaders: Loaders;
  requestId: string;
}

export type ContextSource = CredentialSource;

export async function createContext(app: AppState, source: ContextSource): Promise<Context> {
  const credential = presentedCredential(source);
  const caller = credential ? await resolveCaller(app, credential) : null;
  return {
    app,
    caller,
    badKey: !!credential && !caller,
    loaders: createLoaders(app.sql, app.db, caller?.accountId ?? null),
    requestId: source.request?.headers.get('x-request-id') ?? randomUUID(),
  };
}

/** The authenticated caller; the auth plugin guarantees one outside introspection. */
export function callerOf(ctx: Context): Caller {
  if (!ctx.caller) throw unauthenticated(AUTH_REQUIRED);
  return ctx.caller;
}
