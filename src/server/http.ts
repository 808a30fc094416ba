// The HTTP server: GraphQL over HTTP (and SSE) through Yoga, GraphQL over
// WebSocket (graphql-ws) on the same /graphql path, health probes and
// metrics (probes.ts).
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { createHooklineYoga } from './yoga.js';
import { serveGraphiQLAsset } from './graphiql.js';
import { loadConsole } from './console.js';
import type { AppState } from './state.js';
import type { Config } from '../base/config.js';
import { StartupError } from '../base/startup.js';
import type { WsSink } from '../live/fanout.js';
import { TOO_MANY_STREAMS_CLOSE_CODE, TOO_MANY_SUBSCRIPTIONS, tooManySubscriptionsMessage } from '../live/limits.js';
import { presentedCredential, resolveCaller } from './auth.js';
import { createProbes } from './probes.js';
import type { DependencyCheck } from './readiness.js';

export interface HttpServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** True when `record` has more than `max` keys (counts no further than max + 1). */
function countOver(record: Record<string, unknown>, max: number): boolean {
  let n = 0;
  for (const _ in record) if (++n > max) return true;
  return false;
}

/** The listening socket, taken before anything else starts; requests get 503 until serve(). */
export interface Listener {
  server: Server;
  /** Hands requests to the application from now on. */
  serve(handler: RequestListener): void;
  close(): Promise<void>;
}

/** Why the address cannot be listened on, in words. */
function listenFailure(cfg: Pick<Config, 'host' | 'port'>, err: NodeJS.ErrnoException): string {
  const where = `${cfg.host}:${cfg.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is already in use (another process listens on port ${cfg.port}; stop it or set PORT)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return `cannot listen on ${where}: HOST "${cfg.host}" does not resolve to an address (${err.code}); set HOST to an address or name of this machine`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no network interface of this machine has that address (EADDRNOTAVAIL); set HOST`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (EACCES); ports below 1024 need privileges, set PORT`;
    default:
      return `cannot listen on ${where}: ${err.code ? `${err.code}: ` : ''}${err.message.split('\n')[0]}`;
  }
}

/**
 * Listens on HOST:PORT first, before migrations or anything else, so a
 * taken port or a HOST that does not resolve stops start-up at once with
 * one line (StartupError) and changes nothing.
 */
export async function listen(cfg: Pick<Config, 'host' | 'port'>): Promise<Listener> {
  let handler: RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    json(res, 503, { status: 'starting' });
  };
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => reject(new StartupError(listenFailure(cfg, err)));
    server.once('error', fail);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  return {
    server,
    serve(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface HttpServerOptions {
  /** The delivery thread's state, when this instance runs one (reported by /readyz). */
  delivery?: () => DependencyCheck;
}

export async function startHttpServer(app: AppState, listener?: Listener, opts: HttpServerOptions = {}): Promise<HttpServer> {
  const { config: cfg, logger } = app;
  const yoga = createHooklineYoga(app);
  const consoleFiles = loadConsole();
  const bound = listener ?? (await listen(cfg));

  // /healthz, /readyz and /metrics (src/server/probes.ts).
  const probes = createProbes({ ...app, delivery: opts.delivery, workerOnly: false });
  const server = bound.server;

  bound.serve((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (probes.handle(req, res, path)) return;
    if (cfg.graphiql && serveGraphiQLAsset(req, res, path)) return;
    if (consoleFiles.serve(req, res, path)) return;
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
  const maxOps = cfg.maxSubscriptionsPerSocket;
  useServer(
    {
      // A connection whose key is known takes one of the key's and the
      // account's stream slots until it closes (src/live/limits.ts). One
      // without a valid key takes none: every operation it sends but
      // introspection is refused.
      onConnect: async (ctx) => {
        // The same credential sources and kinds (API key, console link) as every request.
        const credential = presentedCredential({ connectionParams: ctx.connectionParams });
        const caller = credential ? await resolveCaller(app, credential) : null;
        if (!caller) return true;
        const got = app.streams.acquire(caller.apiKeyId, caller.accountId);
        const socket = ctx.extra.socket;
        if (!got.ok) {
          // A close reason holds at most 123 bytes; the setting is named in the README.
          socket.close(
            TOO_MANY_STREAMS_CLOSE_CODE,
            `Too many open streams for this ${got.scope === 'key' ? 'API key' : 'account'} (limit ${got.limit})`,
          );
          return false;
        }
        if (socket.readyState > 1) got.slot.release();
        else socket.once('close', () => got.slot.release());
        return true;
      },
      // Same envelope as HTTP: context, auth, armor and masking all apply.
      execute: (args) => (args as unknown as { rootValue: { execute: (a: ExecutionArgs) => unknown } }).rootValue.execute(args) as never,
      subscribe: (args) =>
        (args as unknown as { rootValue: { subscribe: (a: ExecutionArgs) => unknown } }).rootValue.subscribe(args) as never,
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws has already put this operation in ctx.subscriptions; it
        // removes an operation refused here, so what is refused costs nothing.
        if (countOver(ctx.subscriptions, maxOps)) {
          return [new GraphQLError(tooManySubscriptionsMessage(maxOps), { extensions: { code: TOO_MANY_SUBSCRIPTIONS } })];
        }
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

  const { port } = server.address() as AddressInfo;
  const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? 'localhost' : cfg.host;
  const url = `http://${host}:${port}/graphql`;
  logger.info({ url }, 'GraphQL server listening');

  return {
    server,
    url,
    async close() {
      probes.drain();
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
