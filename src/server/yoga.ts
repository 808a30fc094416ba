import { createYoga } from 'graphql-yoga';
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

export function createHooklineYoga(app: AppState) {
  const { config: cfg, logger } = app;
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: ({ request, connectionParams }: { request: Request; connectionParams?: Record<string, unknown> }) =>
      createContext(app, { request, connectionParams }),
    graphiql: cfg.graphiql
      ? {
          title: 'Hookline',
          headers: JSON.stringify({ 'x-api-key': '<your API key>' }, null, 2),
          subscriptionsProtocol: 'WS',
        }
      : false,
    logging: {
      debug: (...a) => logger.debug(a),
      info: (...a) => logger.info(a),
      warn: (...a) => logger.warn(a),
      error: (...a) => logger.error(a),
    },
    maskedErrors: true,
    // The HTTP server caps bodies before Yoga sees them (src/server/http.ts:
    // Content-Length over MAX_BODY_BYTES gets 413, a POST without one gets
    // 411, and Node reads exactly Content-Length bytes), and WebSocket
    // messages have maxPayload. Yoga's own limit would pipe every body
    // through a TransformStream (an AbortSignal, a stream pipeline and a
    // DOMException per request) to enforce a laxer 25 MB default.
    maxRequestBodySize: false,
    plugins: [
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
    ],
  });
}

export type HooklineYoga = ReturnType<typeof createHooklineYoga>;
