// One authentication path for HTTP, SSE and WebSocket: where a credential
// may be presented, what it resolves to (an API key or a console link), and
// the plugin that refuses operations without a valid one. Introspection alone
// is allowed with no key or a bad one, so GraphiQL can show the schema before
// a key is entered.
import type { Plugin } from 'graphql-yoga';
import { GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { Caller, PlatformCaller } from '../base/caller.js';
import { isConsoleLinkToken, isPlatformKey } from '../base/secrets.js';
import { authenticate } from '../domain/accounts/apiKeys.js';
import { authenticateLink } from '../domain/accounts/consoleLinks.js';
import { authenticatePlatform } from '../domain/accounts/platformKeys.js';
import type { Deps } from '../domain/deps.js';
import type { Context } from './context.js';

export const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

export const AUTH_REQUIRED =
  'Authentication required: send an API key in the x-api-key header, Authorization: Bearer <key> or Authorization: Basic base64(<any user>:<key>); ' +
  'over WebSocket, in connectionParams ({ "apiKey": "<key>" }, "x-api-key", "Authorization" or "headers"), ' +
  "or in the subscribe message's extensions.headers";

/**
 * The key in an Authorization value: `Bearer <key>`, or `Basic
 * base64(<user>:<key>)`, the third scheme SuperOffice's clients use, where
 * the user name is ignored and the password is the key (so any HTTP client's
 * basic-auth option works). Null for any other scheme or an empty key.
 */
export function keyFromAuthorization(value: string): string | null {
  const [, scheme, rest] = /^(\S+)\s+(.+)$/.exec(value.trim()) ?? [];
  if (!scheme) return null;
  if (/^bearer$/i.test(scheme)) return rest.trim() || null;
  if (!/^basic$/i.test(scheme)) return null;
  const decoded = Buffer.from(rest.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && decoded.length > colon + 1 ? decoded.slice(colon + 1) : null;
}

/** x-api-key, or Authorization (Bearer or Basic), from a header bag (names compared case-insensitively). */
function fromHeaderBag(get: (name: string) => unknown): string | null {
  const direct = get('x-api-key');
  if (typeof direct === 'string' && direct.trim()) return direct.trim();
  const auth = get('authorization');
  return typeof auth === 'string' ? keyFromAuthorization(auth) : null;
}

function plainBag(value: unknown): ((name: string) => unknown) | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value as Record<string, unknown>);
  return (name) => entries.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** x-api-key, or Authorization: Bearer or Basic. */
export function apiKeyFromHeaders(headers: Headers): string | null {
  return fromHeaderBag((name) => headers.get(name));
}

export interface CredentialSource {
  /** The HTTP (or SSE) request. */
  request?: Request;
  /** graphql-ws connection_init payload. */
  connectionParams?: Record<string, unknown>;
  /** The operation's parameters: GraphiQL sends its Headers pane as extensions.headers. */
  params?: unknown;
}

/**
 * The credential presented, wherever the client put it: HTTP headers;
 * connectionParams.apiKey, ["x-api-key"], .authorization / .Authorization
 * (Bearer or Basic) or .headers {x-api-key | authorization}; or the operation's
 * extensions.headers. An empty value counts as none.
 */
export function presentedCredential(source: CredentialSource): string | null {
  if (source.request) {
    const fromHttp = apiKeyFromHeaders(source.request.headers);
    if (fromHttp) return fromHttp;
  }
  const params = plainBag(source.connectionParams);
  if (params) {
    const apiKey = params('apikey');
    if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
    const direct = fromHeaderBag(params);
    if (direct) return direct;
    const headers = plainBag(params('headers'));
    const nested = headers && fromHeaderBag(headers);
    if (nested) return nested;
  }
  const extensions = plainBag((source.params as { extensions?: unknown } | undefined)?.extensions);
  const extHeaders = extensions && plainBag(extensions('headers'));
  return (extHeaders && fromHeaderBag(extHeaders)) || null;
}

/** The caller a credential stands for, or null when it is unknown, revoked or expired (or a platform key, which acts for no account). */
export async function resolveCaller(deps: Pick<Deps, 'sql' | 'caches' | 'clock'>, credential: string): Promise<Caller | null> {
  if (isPlatformKey(credential)) return null;
  return isConsoleLinkToken(credential) ? authenticateLink(deps, credential) : authenticate(deps, credential);
}

/** The holder of a platform-level key, or null for any other credential or a revoked one. */
export function resolvePlatform(deps: Pick<Deps, 'sql'>, credential: string): Promise<PlatformCaller | null> {
  return isPlatformKey(credential) ? authenticatePlatform(deps, credential) : Promise.resolve(null);
}

function onlyIntrospection(set: SelectionSetNode, doc: DocumentNode, seen = new Set<string>()): boolean {
  return set.selections.every((s) => {
    if (s.kind === Kind.FIELD) return s.name.value.startsWith('__');
    if (s.kind === Kind.INLINE_FRAGMENT) return onlyIntrospection(s.selectionSet, doc, seen);
    if (seen.has(s.name.value)) return true;
    seen.add(s.name.value);
    const frag = doc.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
    return !!frag && frag.kind === Kind.FRAGMENT_DEFINITION && onlyIntrospection(frag.selectionSet, doc, seen);
  });
}

function rejection(ctx: Context, document: DocumentNode, operationName?: string | null) {
  // A platform key passes here; every field but createAccount refuses it (callerOf).
  if (ctx.caller || ctx.platform) return null;
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const op = ops.find((d) => !operationName || d.name?.value === operationName) ?? ops[0];
  // The schema is public: a missing, placeholder or bad key does not block it.
  if (op && op.kind === Kind.OPERATION_DEFINITION && op.operation === 'query' && onlyIntrospection(op.selectionSet, document)) {
    return null;
  }
  if (ctx.badKey) return unauthenticated('The API key or console link is invalid or has been revoked, or the link has expired');
  return unauthenticated(AUTH_REQUIRED);
}

export function useApiKeyAuth(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = rejection(args.contextValue, args.document, args.operationName);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = rejection(args.contextValue, args.document, args.operationName);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
