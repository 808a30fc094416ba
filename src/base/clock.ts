// Time comes from a clock object, so tests can move time forward instead of
// rewriting rows, and everything in one instance agrees on "now".

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The real time moved by an offset: what the delivery thread runs on when tests move time. */
export class OffsetClock implements Clock {
  constructor(public offsetMs = 0) {}
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/**
 * A clock tests can advance and reset; it starts at the real time. Its
 * offset is announced to listeners, so the delivery thread's clock moves
 * with it.
 */
export class ManualClock extends OffsetClock {
  private readonly listeners = new Set<(offsetMs: number) => void>();
  advance(ms: number): void {
    this.set(this.offsetMs + ms);
  }
  reset(): void {
    this.set(0);
  }
  private set(offsetMs: number): void {
    this.offsetMs = offsetMs;
    for (const l of this.listeners) l(offsetMs);
  }
  onChange(listener: (offsetMs: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
