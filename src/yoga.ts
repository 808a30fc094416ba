import { createYoga } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { schema } from './schema/index.js';
import { createContext, type Context } from './context.js';
import { useApiKeyAuth } from './auth/plugin.js';
import { useSharedSubscriptionResults } from './live/shared-results.js';
import { config } from './config.js';
import { logger } from './logger.js';

export function createHooklineYoga() {
  const cfg = config();
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: ({ request, connectionParams }: { request: Request; connectionParams?: Record<string, unknown> }) =>
      createContext({ request, connectionParams }),
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
      useSharedSubscriptionResults(),
    ],
  });
}

export type HooklineYoga = ReturnType<typeof createHooklineYoga>;
