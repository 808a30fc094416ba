// The HTTP server: GraphQL over HTTP (and SSE) through Yoga, GraphQL over
// WebSocket (graphql-ws) on the same /graphql path, and health probes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { createHooklineYoga } from './yoga.js';
import type { AppState } from './state.js';
import type { WsSink } from '../live/fanout.js';

export interface HttpServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startHttpServer(app: AppState): Promise<HttpServer> {
  const { config: cfg, logger } = app;
  const yoga = createHooklineYoga(app);
  let draining = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      void app.db
        .ping()
        .then((up) => json(res, up && !draining ? 200 : 503, { status: up && !draining ? 'ready' : 'unavailable', database: up }));
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > cfg.maxBodyBytes) {
      return json(res, 413, { errors: [{ message: `Request body is over the ${cfg.maxBodyBytes}-byte limit` }] });
    }
    if (req.method === 'POST' && req.headers['transfer-encoding'] && !req.headers['content-length']) {
      // A streamed body could exceed the cap unseen; ask for a sized one.
      return json(res, 411, { errors: [{ message: 'Send a Content-Length header with the request body' }] });
    }
    void yoga(req, res);
  });

  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: cfg.maxBodyBytes });
  useServer(
    {
      // Same envelope as HTTP: context, auth, armor and masking all apply.
      execute: (args) => (args as unknown as { rootValue: { execute: (a: ExecutionArgs) => unknown } }).rootValue.execute(args) as never,
      subscribe: (args) =>
        (args as unknown as { rootValue: { subscribe: (a: ExecutionArgs) => unknown } }).rootValue.subscribe(args) as never,
      onSubscribe: async (ctx, id, payload) => {
        const initial: Record<string, unknown> = {
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          connectionParams: ctx.connectionParams,
        };
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(initial);
        // Live-topic subscriptions are served by the fan-out registry, which
        // writes their `next` frames to this socket (src/live/fanout.ts);
        // graphql-ws still sends `complete` and `error` for them. So an
        // `onNext` hook here would not see those frames: add none.
        const sink: WsSink = { socket: ctx.extra.socket, id, execute: execute as WsSink['execute'] };
        initial.graphqlWs = sink;
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          // A syntax error (or too many tokens) fails this operation alone;
          // thrown, it would close the socket and every subscription on it.
          if (err instanceof GraphQLError) return [err];
          throw err;
        }
        const args = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args as never;
      },
    },
    wss,
  );

  await new Promise<void>((resolve) => server.listen(cfg.port, cfg.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? 'localhost' : cfg.host;
  const url = `http://${host}:${port}/graphql`;
  logger.info({ url }, 'GraphQL server listening');

  return {
    server,
    url,
    async close() {
      draining = true;
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
