import { createYoga, maskError, type Plugin } from 'graphql-yoga';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { storageFault } from '../db/errors.js';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { schema } from '../schema/index.js';
import { createContext, type Context } from './context.js';
import { useApiKeyAuth } from './auth.js';
import { useConnectionArgs } from './connectionArgs.js';
import { useSharedSubscriptionResults } from '../live/shared-results.js';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { jitEligible } from './jit.js';
import type { AppState } from './state.js';
import { errorForLog } from '../base/logger.js';
import { TOO_MANY_STREAMS } from '../live/limits.js';
import { useGraphqlSpanContext, useGraphqlTelemetry } from './graphqlTelemetry.js';

export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';

/**
 * Masks unexpected errors as ever, except a database that cannot take the
 * request (disk I/O error, full disk, read-only or corrupt file, lost
 * connection): that is not the request's fault and is worth retrying, so it
 * gets a typed error (503) instead of "Unexpected error.". The driver's
 * words go to the log only. Yoga logs the original error.
 */
function maskWithStorageFaults(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (!(original instanceof GraphQLError) && storageFault(original)) {
    const at = error instanceof GraphQLError ? error : null;
    return new GraphQLError('The database cannot take this request right now (a storage fault on the server); try again later', {
      nodes: at?.nodes,
      path: at?.path,
      extensions: { code: DATABASE_UNAVAILABLE, http: { status: 503 } },
    });
  }
  return maskError(error, message, isDev);
}

/**
 * A stream refused for the per-key or per-account cap is answered as plain
 * JSON with 429, as the README says, even when the client asked for
 * text/event-stream: there is no stream to open.
 */
function useStreamRefusalAsJson(): Plugin {
  return {
    onResultProcess({ result, setResultProcessor }) {
      if (Symbol.asyncIterator in result) return;
      const refused = (result as ExecutionResult).errors?.some((e) => e.extensions?.code === TOO_MANY_STREAMS);
      if (!refused) return;
      setResultProcessor(
        (r, fetchAPI) =>
          new fetchAPI.Response(JSON.stringify({ errors: (r as ExecutionResult).errors }), {
            status: 429,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          }),
        'application/json',
      );
    },
  };
}
import { graphiqlOptions, renderGraphiQLPage, useHtmlSecurityHeaders } from './graphiql.js';

export function createHooklineYoga(app: AppState) {
  const { config: cfg, logger } = app;
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: ({ request, connectionParams, params }: { request: Request; connectionParams?: Record<string, unknown>; params?: unknown }) =>
      createContext(app, { request, connectionParams, params }),
    graphiql: cfg.graphiql ? graphiqlOptions() : false,
    // Hookline's own page: assets from /graphiql/, no inline script.
    renderGraphiQL: renderGraphiQLPage,
    logging: {
      debug: (...a) => logger.debug(a),
      info: (...a) => logger.info(a),
      warn: (...a) => logger.warn(a),
      // Masked errors: described without their details or the request's variables (errorForLog).
      error: (...a) => logger.error({ errors: a.map(errorForLog) }, 'request failed with an unexpected error'),
    },
    maskedErrors: { maskError: maskWithStorageFaults },
    // The HTTP server caps bodies before Yoga sees them (src/server/http.ts:
    // Content-Length over MAX_BODY_BYTES gets 413, a POST without one gets
    // 411, and Node reads exactly Content-Length bytes), and WebSocket
    // messages have maxPayload. Yoga's own limit would pipe every body
    // through a TransformStream (an AbortSignal, a stream pipeline and a
    // DOMException per request) to enforce a laxer 25 MB default.
    maxRequestBodySize: false,
    plugins: [
      // First, so it sees every operation, also those the plugins below refuse (metrics, spans).
      useGraphqlTelemetry(app.metrics),
      useHtmlSecurityHeaders(),
      // Requests with any of these headers were preflighted by browsers, so
      // they cannot be cross-site forgeries.
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'x-api-key', 'authorization'] }),
      EnvelopArmorPlugin({
        maxDepth: { n: cfg.maxQueryDepth, ignoreIntrospection: true },
        // Cost is the Pothos complexity plugin's job: it sees variables.
        costLimit: { enabled: false },
        maxAliases: { n: 30 },
        maxTokens: { n: 5000 },
        maxDirectives: { n: 50 },
      }),
      useApiKeyAuth(),
      useConnectionArgs(),
      // Queries and mutations run as code compiled once per document (the
      // webhook list's 50 nodes cost several times more in the interpreter;
      // see BENCHMARKS.md). Subscriptions keep the shared execution below.
      useGraphQlJit({}, { enableIf: (args) => jitEligible(args.schema, args.document, args.operationName) }),
      useSharedSubscriptionResults(),
      useStreamRefusalAsJson(),
      // After the JIT plugin: the operation's span is active in the execute function JIT chose.
      useGraphqlSpanContext(),
    ],
  });
}

export type HooklineYoga = ReturnType<typeof createHooklineYoga>;
