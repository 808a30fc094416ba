// Queue baseline: the webhook sender a team would build on BullMQ (Redis at
// 127.0.0.1:6379) instead of running Hookline. One process holds both sides,
// as Hookline's one server process does: 8 publisher loops, each adding the
// 10 jobs of one event with one addBulk call, and a BullMQ Worker at
// concurrency 64 that signs and POSTs each job to the bench receiver
// (bench/lib/baseline-delivery.ts). Every run uses a queue of its own, which
// close() (or the parent going away) obliterates.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
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

const PREFIX = 'hookline-bench';
const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };

let queue: Queue<DeliveryJob> | null = null;
let worker: Worker<DeliveryJob> | null = null;
let admin: Redis | null = null;
let hooks = new Map<string, BaselineWebhook>();
let delivered = 0;
let failedAttempts = 0;
let lastFailure: string | null = null;

/** Queues left behind by runs whose process is gone (killed before close). */
async function sweepStale(r: Redis): Promise<number> {
  let cursor = '0';
  const stale = new Set<string>();
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${PREFIX}:run-*:meta`, 'COUNT', 200);
    cursor = next;
    for (const k of keys) {
      const name = k.slice(PREFIX.length + 1, -':meta'.length);
      const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (!alive) stale.add(name);
    }
  } while (cursor !== '0');
  for (const name of stale) {
    const q = new Queue(name, { connection, prefix: PREFIX });
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  }
  return stale.size;
}

async function close(): Promise<void> {
  await worker?.close().catch(() => undefined);
  if (queue) {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close().catch(() => undefined);
  }
  admin?.disconnect();
  worker = null;
  queue = null;
  admin = null;
}

serve(
  {
    start: async ({ receiverBase }: { receiverBase: string }) => {
      // Fail fast (not retry forever) when there is no Redis.
      admin = new Redis({ ...connection, lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
      await admin.connect();
      const info = await admin.info('server');
      const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
      const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      const swept = await sweepStale(admin);
      hooks = baselineWebhooks(receiverBase);
      const name = `run-${process.pid}-${Date.now().toString(36)}`;
      queue = new Queue<DeliveryJob>(name, {
        connection,
        prefix: PREFIX,
        // Production-style job options: retries with backoff, and finished
        // jobs trimmed rather than kept forever.
        defaultJobOptions: {
          attempts: 8,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: { count: 1_000 },
          removeOnFail: { count: 5_000 },
        },
      });
      worker = new Worker<DeliveryJob>(name, (job) => deliver(job.data, hooks), {
        connection,
        prefix: PREFIX,
        concurrency: BASELINE_CONCURRENCY,
      });
      worker.on('completed', () => delivered++);
      worker.on('failed', (_job, err) => {
        failedAttempts++;
        lastFailure = err.message;
      });
      worker.on('error', (err) => {
        lastFailure = err.message;
      });
      await queue.waitUntilReady();
      await worker.waitUntilReady();
      return { queue: name, redisVersion, redisPid, swept };
    },
    /** Processes whose CPU time counts as this baseline's store: the Redis server. */
    storePids: async () => {
      const pid = Number(/process_id:(\d+)/.exec(await admin!.info('server'))?.[1]);
      return Number.isFinite(pid) ? [pid] : [];
    },
    publish: async ({ events, publishers }: { events: number; publishers: number }) => {
      const before = { delivered, failedAttempts };
      const q = queue!;
      const r = await publishLoops(events, publishers, async (event) => {
        await q.addBulk(jobsFor(event, hooks).map((data) => ({ name: 'deliver', data })));
      });
      return { ...r, deliveredSoFar: delivered - before.delivered };
    },
    /** Waits until no job is waiting, active or delayed (retries) any more. */
    drain: async ({ timeoutMs }: { timeoutMs: number }) => {
      const q = queue!;
      const empty = await waitUntil(async () => {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(c).every((n) => n === 0);
      }, timeoutMs);
      return { empty, delivered, failedAttempts, lastFailure };
    },
    close: async () => {
      await close();
      return true;
    },
  },
  { cleanup: close },
);
