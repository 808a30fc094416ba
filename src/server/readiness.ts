// GET /readyz: whether this instance can do its job, and the status of
// each dependency it needs, so an operator (or an orchestrator's probe
// log) sees at once which one is missing.
//
// - database: must take writes (a one-row commit on SQLite, a round trip on
//   PostgreSQL); down means 503, since neither the API nor delivery works.
// - redis (only with REDIS_URL): carries live events between instances;
//   down leaves the instance serving (200, "degraded"), because the API,
//   deliveries and this instance's own subscribers work without it.
// - delivery (only where the delivery thread runs): down while it restarts
//   after a crash. For `npm start` that is degraded (the API serves; claims
//   are retried after their leases); for `npm run worker`, whose only job it
//   is, that is 503.
// While shutting down the answer is 503 whatever the dependencies say.

export type DependencyStatus = 'up' | 'down';

export interface DependencyCheck {
  status: DependencyStatus;
  /** How long the check took, in milliseconds (database). */
  latencyMs?: number;
  /** What failed, in the driver's words (one line). */
  error?: string;
}

export interface ReadinessInput {
  database: DependencyCheck;
  /** Absent without REDIS_URL. */
  redis?: DependencyCheck;
  /** Absent where no delivery thread runs (WORKER_ENABLED=false). */
  delivery?: DependencyCheck;
  draining: boolean;
  /** `npm run worker`: delivery is what the process is for. */
  workerOnly: boolean;
}

export interface Readiness {
  httpStatus: 200 | 503;
  body: {
    status: 'ready' | 'degraded' | 'unavailable';
    dependencies: { database: DependencyCheck; redis?: DependencyCheck; delivery?: DependencyCheck };
    draining?: true;
  };
}

/** The readiness answer for these checks (pure: unit-tested in test/unit/readiness.test.ts). */
export function readiness(input: ReadinessInput): Readiness {
  const { database, redis, delivery, draining, workerOnly } = input;
  const required = [database, ...(workerOnly && delivery ? [delivery] : [])];
  const optional = [redis, ...(!workerOnly && delivery ? [delivery] : [])];
  const ready = !draining && required.every((c) => c.status === 'up');
  const degraded = optional.some((c) => c?.status === 'down');
  return {
    httpStatus: ready ? 200 : 503,
    body: {
      status: !ready ? 'unavailable' : degraded ? 'degraded' : 'ready',
      dependencies: { database, ...(redis ? { redis } : {}), ...(delivery ? { delivery } : {}) },
      ...(draining ? { draining: true as const } : {}),
    },
  };
}
