// Queue baseline: the webhook sender a team would build on graphile-worker
// (PostgreSQL) instead of running Hookline. One process holds both sides, as
// Hookline's one server process does: 8 publisher loops, each adding the 10
// jobs of one event with one addJobs call (one transaction), and a
// graphile-worker runner at concurrency 64 that signs and POSTs each job to
// the bench receiver (bench/lib/baseline-delivery.ts). The parent creates a
// fresh database for each run and drops it afterwards.
//
// Settings: those of graphile-worker's performance guide for a busy queue
// (a local queue of concurrency + 1 jobs fetched at once, completions batched
// with completeJobBatchDelay/failJobBatchDelay 0, a pool of concurrency + 2
// connections); everything else at its defaults.
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';
import {
  baselineWebhooks,
  BASELINE_CONCURRENCY,
  deliver,
  jobsFor,
  publishLoops,
  waitUntil,
  type BaselineWebhook,
  type DeliveryJob,
} from '../lib/baseline-delivery.js';
import { serve } from '../lib/proc.js';

let runner: Runner | null = null;
let utils: WorkerUtils | null = null;
let hooks = new Map<string, BaselineWebhook>();
let delivered = 0;
let failedAttempts = 0;
let lastFailure: string | null = null;

// graphile-worker logs every job at info level; keep warnings and errors.
const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`[graphile-worker ${level}] ${message}\n`);
});

async function close(): Promise<void> {
  const r = runner;
  const u = utils;
  runner = null;
  utils = null;
  await r?.stop().catch(() => undefined);
  await Promise.resolve(u?.release()).catch(() => undefined);
}

serve(
  {
    start: async ({ receiverBase, connectionString }: { receiverBase: string; connectionString: string }) => {
      hooks = baselineWebhooks(receiverBase);
      utils = await makeWorkerUtils({ connectionString, logger });
      await utils.migrate();
      runner = await run({
        connectionString,
        logger,
        noHandleSignals: true,
        concurrency: BASELINE_CONCURRENCY,
        maxPoolSize: BASELINE_CONCURRENCY + 2,
        preset: {
          worker: {
            localQueue: { size: BASELINE_CONCURRENCY + 1 },
            completeJobBatchDelay: 0,
            failJobBatchDelay: 0,
          },
        },
        taskList: {
          deliver: async (payload) => {
            try {
              await deliver(payload as DeliveryJob, hooks);
              delivered++;
            } catch (err) {
              failedAttempts++;
              lastFailure = (err as Error).message;
              throw err;
            }
          },
        },
      });
      const version = await utils.withPgClient(
        async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v,
      );
      return { postgresVersion: version };
    },
    /** Processes whose CPU time counts as this baseline's store: the PostgreSQL backends serving this database. */
    storePids: async () =>
      utils!.withPgClient(async (c) => {
        const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
        return r.rows.map((x) => x.pid);
      }),
    publish: async ({ events, publishers }: { events: number; publishers: number }) => {
      const u = utils!;
      return publishLoops(events, publishers, async (event) => {
        await u.addJobs(jobsFor(event, hooks).map((payload) => ({ identifier: 'deliver', payload })));
      });
    },
    /** Waits until the jobs table is empty: every job done (completed jobs are deleted). */
    drain: async ({ timeoutMs }: { timeoutMs: number }) => {
      const u = utils!;
      const empty = await waitUntil(
        () =>
          u.withPgClient(
            async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker.jobs')).rows[0].n === 0,
          ),
        timeoutMs,
      );
      return { empty, delivered, failedAttempts, lastFailure };
    },
    close: async () => {
      await close();
      return true;
    },
  },
  { cleanup: close },
);
