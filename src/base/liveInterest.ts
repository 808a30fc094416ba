// Whether anything on this instance listens to the live delivery log (the
// attempts and deliveries topics), readable from every thread of the
// process: one counter in shared memory, kept by the live layer on the main
// thread and read by the delivery thread after each commit. While it is
// zero, the delivery thread neither reads its changed deliveries back nor
// copies its attempts to the main thread: about 20 µs of CPU per delivery
// that no one would have heard (measured apart: the outcome UPDATE's
// RETURNING * 7.5 µs on SQLite, the copy of a batch's attempts and
// deliveries between threads about 12 µs a delivery).
//
// Why a count read after the commit cannot lose an event: a stream first
// adds its listener (the count goes up) and only then reads any history it
// replays. If the delivery thread's read after a commit saw zero, the
// listener came later, so its history read sees that commit. Atomics give
// the order across threads.

export class LiveInterest {
  private readonly cell: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(buffer, 0, 1);
  }

  add(): void {
    Atomics.add(this.cell, 0, 1);
  }

  remove(): void {
    Atomics.sub(this.cell, 0, 1);
  }

  /** Someone may be listening. */
  any(): boolean {
    return Atomics.load(this.cell, 0) > 0;
  }
}
