// The operational endpoints, on the API's port (src/server/http.ts) and, for
// `npm run worker`, on WORKER_PORT: GET /healthz (the process is up),
// GET /readyz (readiness.ts) and GET /metrics (metrics.ts, behind
// METRICS_TOKEN when it is set).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../base/config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../base/logger.js';
import type { RedisStatus } from '../live/pubsub.js';
import type { Metrics } from './metrics.js';
import { readiness, type DependencyCheck } from './readiness.js';

export interface ProbeDeps {
  config: Pick<Config, 'metricsToken'>;
  logger: Logger;
  db: Pick<Database, 'health'>;
  redis(): RedisStatus;
  metrics: Metrics;
  /** The delivery thread's state, where one runs. */
  delivery?: () => DependencyCheck;
  workerOnly?: boolean;
}

export interface Probes {
  /** Answers /healthz, /readyz and /metrics; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** From now on /readyz answers 503 (shutting down). */
  drain(): void;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1].trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createProbes(deps: ProbeDeps): Probes {
  const { logger } = deps;
  let draining = false;
  let databaseFault: string | null = null;

  const ready = async () => {
    const health = await deps.db.health();
    if (!health.ok && databaseFault !== health.error) logger.error({ error: health.error }, 'readiness: the database does not take writes');
    if (health.ok && databaseFault !== null) logger.info('readiness: the database takes writes again');
    databaseFault = health.ok ? null : (health.error ?? 'unknown');
    const redis = deps.redis();
    return readiness({
      database: {
        status: health.ok ? 'up' : 'down',
        ...(health.latencyMs !== undefined ? { latencyMs: health.latencyMs } : {}),
        ...(health.ok ? {} : { error: health.error ?? 'unknown' }),
      },
      redis: redis === 'disabled' ? undefined : { status: redis },
      delivery: deps.delivery?.(),
      draining,
      workerOnly: deps.workerOnly ?? false,
    });
  };

  const metrics = async (req: IncomingMessage, res: ServerResponse) => {
    const token = deps.config.metricsToken;
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' });
      res.end('Unauthorized: GET /metrics needs Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    const { contentType, body } = await deps.metrics.render();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  };

  return {
    handle(req, res, path) {
      if (path === '/healthz') {
        json(res, 200, { status: 'ok' });
        return true;
      }
      if (path === '/readyz') {
        ready().then(
          (r) => json(res, r.httpStatus, r.body),
          (err) => {
            logger.error({ err }, 'readiness check failed');
            json(res, 503, { status: 'unavailable' });
          },
        );
        return true;
      }
      if (path === '/metrics') {
        metrics(req, res).catch((err) => {
          logger.error({ err }, 'metrics: rendering failed');
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('metrics unavailable\n');
        });
        return true;
      }
      return false;
    },
    drain() {
      draining = true;
    },
  };
}
