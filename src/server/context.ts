// A fresh context per request (HTTP, SSE or WebSocket): the instance's state,
// the caller, per-request DataLoaders and a request ID.
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Caller, PlatformCaller } from '../base/caller.js';
import { AUTH_REQUIRED, presentedCredential, resolveCaller, resolvePlatform, unauthenticated, type CredentialSource } from './auth.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { AppState } from './state.js';

export { apiKeyFromHeaders, unauthenticated } from './auth.js';

export interface Context {
  app: AppState;
  caller: Caller | null;
  /** A platform-level key's holder: it may only create accounts. */
  platform: PlatformCaller | null;
  /** True when a credential was presented but is unknown, revoked or expired. */
  badKey: boolean;
  loaders: Loaders;
  requestId: string;
}

export type ContextSource = CredentialSource;

export async function createContext(app: AppState, source: ContextSource): Promise<Context> {
  const credential = presentedCredential(source);
  const platform = credential ? await resolvePlatform(app, credential) : null;
  const caller = credential && !platform ? await resolveCaller(app, credential) : null;
  return {
    app,
    caller,
    platform,
    badKey: !!credential && !caller && !platform,
    loaders: createLoaders(app.sql, app.db, caller?.accountId ?? null),
    requestId: source.request?.headers.get('x-request-id') ?? randomUUID(),
  };
}

export const PLATFORM_KEY_ONLY_CREATES =
  "A platform key can only call createAccount; use the API key of an account's associate for everything else";

/** The authenticated caller; the auth plugin guarantees one outside introspection (or a platform key, refused here). */
export function callerOf(ctx: Context): Caller {
  if (ctx.platform) throw new GraphQLError(PLATFORM_KEY_ONLY_CREATES, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
  if (!ctx.caller) throw unauthenticated(AUTH_REQUIRED);
  return ctx.caller;
}
