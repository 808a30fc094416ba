// SQLite's WAL checkpoints, on a thread of their own. A checkpoint copies
// the WAL's pages back into the database file and syncs both files; left
// to SQLite's automatic checkpoints it runs inside the COMMIT of whichever
// connection crosses 1,000 pages, which was the delivery thread's: its event
// loop then stood still for the copy and the fsyncs (measured with the
// recorder's statements alone: 50 µs of wall time per delivery with
// automatic checkpoints, 31 µs without). Here the application's connections
// turn automatic checkpoints off and this thread runs a PASSIVE checkpoint
// on a timer: it never waits for readers or writers, and blocks no one.
import Database from 'better-sqlite3';
import type { MessagePort } from 'node:worker_threads';

export interface CheckpointThreadData {
  path: string;
  everyMs: number;
}

export type ToCheckpointThread = { t: 'stop' };
export type FromCheckpointThread = { t: 'ready' } | { t: 'failed'; message: string };

export function runCheckpoints(data: CheckpointThreadData, port: MessagePort): void {
  const db = new Database(data.path);
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  let reported = false;
  const run = () => {
    try {
      checkpoint.get();
      reported = false;
    } catch (err) {
      // One report per run of failures; the next tick tries again.
      if (!reported) port.postMessage({ t: 'failed', message: (err as Error).message } satisfies FromCheckpointThread);
      reported = true;
    }
  };
  const timer = setInterval(run, data.everyMs);
  port.on('message', (m: ToCheckpointThread) => {
    if (m.t !== 'stop') return;
    clearInterval(timer);
    run();
    db.close();
    // The main thread waits for this thread's exit, which closing the port lets happen.
    port.close();
  });
  port.postMessage({ t: 'ready' } satisfies FromCheckpointThread);
}
