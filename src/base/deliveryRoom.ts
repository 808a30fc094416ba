// How many more deliveries this instance's delivery thread could start now,
// readable and takeable from the publishing thread: one counter in shared
// memory. On PostgreSQL a publish inserts its new rows already leased to
// this instance while the thread has room for them, so the thread sends them
// without a claim statement: about a third of the backends' time per
// delivery went to claims by id (BENCHMARKS.md, session 6 and session 10).
//
// Two counters: the thread's free slots less the rows it holds unsent, which
// only the thread sets, and the rows leased to it that it has not received
// yet, which publishes add to and the thread takes off as their hints
// arrive. A publish leases only while the difference covers its rows, so
// the rows held in the thread stay few and a busy instance never keeps a
// backlog leased away from the others: past that, rows are inserted
// unleased and claimed as before. It is a hint, not a lock (the thread's
// count trails its state by a turn of its loop); a row leased beyond it
// waits its turn in the thread's queues.

const CAPACITY = 0;
const IN_TRANSIT = 1;

export class DeliveryRoom {
  private readonly cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    this.cells = new Int32Array(buffer, 0, 2);
  }

  /** The delivery thread: what it could start now, less what it holds unsent. */
  set(capacity: number): void {
    Atomics.store(this.cells, CAPACITY, capacity);
  }

  /** The delivery thread: `n` leased rows' hints arrived. */
  received(n: number): void {
    this.addInTransit(-n);
  }

  /**
   * Never below zero: a thread's reset can come between a publish's take
   * and its settle, and a restarted thread can get hints for its
   * predecessor's rows, neither of which was counted for it.
   */
  private addInTransit(n: number): void {
    for (;;) {
      const t = Atomics.load(this.cells, IN_TRANSIT);
      if (Atomics.compareExchange(this.cells, IN_TRANSIT, t, Math.max(0, t + n)) === t) return;
    }
  }

  /** No thread runs (it stopped, or died with hints on their way): nothing may be leased. */
  reset(): void {
    Atomics.store(this.cells, CAPACITY, 0);
    Atomics.store(this.cells, IN_TRANSIT, 0);
  }

  /** A publish: reserves room for `n` rows if there is that much. */
  take(n: number): boolean {
    for (;;) {
      const t = Atomics.load(this.cells, IN_TRANSIT);
      if (Atomics.load(this.cells, CAPACITY) - t < n) return false;
      if (Atomics.compareExchange(this.cells, IN_TRANSIT, t, t + n) === t) return true;
    }
  }

  /** A publish that took `taken` and leased `leased` rows (more when its guess was short, fewer when it was long). */
  settle(taken: number, leased: number): void {
    if (leased !== taken) this.addInTransit(leased - taken);
  }

  /** Rows more a publish could lease now. */
  get free(): number {
    return Atomics.load(this.cells, CAPACITY) - Atomics.load(this.cells, IN_TRANSIT);
  }
}
