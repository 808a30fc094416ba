// One writer at a time among the threads of this process that share a
// SQLite file (the API's connection and the delivery thread's).
//
// SQLite lets one connection write at a time; the others get SQLITE_BUSY
// and must try again. Retrying costs a thrown error per try and polls the
// event loop, and under load most writes of both threads collided (measured
// on the delivery benchmark: about 1,100 busy retries per 2,000 writes on
// the API thread and 3 per write on the delivery thread). Taking this gate
// before writing turns the collision into a queue: a waiting thread sleeps
// until the holder leaves (Atomics.waitAsync, no polling, no error), and
// SQLite's lock is then always free when the statement runs. Other
// processes on the same file (the admin CLI) still meet SQLite's lock and
// are retried as before.
//
// The gate records which thread holds it, so a delivery thread that dies
// holding it cannot block the API: its supervisor releases it (releaseFrom).
import { threadId } from 'node:worker_threads';

const FREE = 0;

/** Node has had Atomics.waitAsync since 16; TypeScript's lib declares it from ES2024 only. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(cell: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

export class WriteGate {
  private readonly cell: Int32Array;
  /** This thread's mark in the cell (thread ids start at 0 for the main thread). */
  private readonly mine = threadId + 1;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(buffer);
  }

  /** Waits until this thread holds the gate; fails after `timeoutMs` with an error SQLite's busy check recognises. */
  async enter(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const holder = Atomics.compareExchange(this.cell, 0, FREE, this.mine);
      if (holder === FREE) return;
      const left = deadline - Date.now();
      if (left <= 0) throw Object.assign(new Error('database is locked (waited for the other thread to write)'), { code: 'SQLITE_BUSY' });
      const w = waitAsync(this.cell, 0, holder, left);
      if (!w.async) continue;
      // A pending waitAsync does not keep the event loop alive; this timer does.
      const alive = setTimeout(() => undefined, left + 1000);
      try {
        await w.value;
      } finally {
        clearTimeout(alive);
      }
    }
  }

  leave(): void {
    if (Atomics.compareExchange(this.cell, 0, this.mine, FREE) === this.mine) Atomics.notify(this.cell, 0, 1);
  }

  /** Frees the gate if the thread `deadThreadId` held it when it ended. */
  releaseFrom(deadThreadId: number): void {
    if (Atomics.compareExchange(this.cell, 0, deadThreadId + 1, FREE) === deadThreadId + 1) Atomics.notify(this.cell, 0, 1);
  }
}
