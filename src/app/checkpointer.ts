// The main thread's side of the SQLite checkpoint thread (src/db/checkpoint.ts):
// starts it, restarts it if it dies (the WAL only grows while none runs),
// and stops it with a last checkpoint.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../base/logger.js';
import type { CheckpointThreadData, FromCheckpointThread, ToCheckpointThread } from '../db/checkpoint.js';
import { threadEntry } from './thread.js';

/** How often the WAL is checkpointed: about as often as SQLite's automatic checkpoint ran under full load (every 1,000 pages). */
export const CHECKPOINT_EVERY_MS = 250;
const RESTART_MS = 1_000;
const STOP_WAIT_MS = 5_000;

export interface Checkpointer {
  /** The running thread (null while it is being restarted). */
  readonly worker: Worker | null;
  readonly restarts: number;
  stop(): Promise<void>;
}

export async function startCheckpointer(path: string, logger: Logger, everyMs = CHECKPOINT_EVERY_MS): Promise<Checkpointer> {
  const entry = threadEntry('checkpoint-thread');
  const data: CheckpointThreadData = { path, everyMs };
  let current: Worker | null = null;
  let stopping = false;
  let started = false;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | null = null;

  const spawn = () =>
    new Promise<Worker>((resolve, reject) => {
      const w = new Worker(entry.url, { workerData: data, argv: entry.argv });
      w.on('message', (m: FromCheckpointThread) => {
        if (m.t === 'ready') resolve(w);
        else if (m.t === 'failed') logger.error({ reason: m.message }, 'SQLite WAL checkpoint failed; retrying');
      });
      w.on('error', (err) => {
        reject(err);
        logger.error({ err }, 'SQLite checkpoint thread crashed');
      });
      w.on('exit', () => {
        // Not the first start (that failure is the caller's), not an older thread.
        if (stopping || !started || (current !== null && current !== w)) return;
        current = null;
        logger.error({ restartInMs: RESTART_MS }, 'SQLite checkpoint thread stopped; restarting it');
        restartTimer = setTimeout(() => {
          restartTimer = null;
          spawn().then(
            (next) => {
              restarts++;
              if (stopping) void next.terminate();
              else current = next;
            },
            () => undefined, // reported by its error handler; its exit schedules the next try
          );
        }, RESTART_MS);
        restartTimer.unref();
      });
    });

  current = await spawn();
  started = true;
  return {
    get worker() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const w = current;
      current = null;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.postMessage({ t: 'stop' } satisfies ToCheckpointThread);
      const timer = setTimeout(() => void w.terminate(), STOP_WAIT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
