// A pause a loop can be woken from early: the delivery worker and the bulk
// runner sleep until their next poll unless new work arrives first.
export class Nap {
  private waker: (() => void) | null = null;
  private missed = false;

  /** `keepMissedWake`: a wake-up while not sleeping ends the next sleep at once (else it is dropped). */
  constructor(private readonly keepMissedWake = false) {}

  sleep(ms: number): Promise<void> {
    if (this.missed) {
      this.missed = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waker = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waker = done;
    });
  }

  wake(): void {
    if (this.waker) this.waker();
    else if (this.keepMissedWake) this.missed = true;
  }
}
