// One clock for every benchmark process: Unix epoch milliseconds with
// sub-millisecond resolution. performance.timeOrigin is taken from the
// system wall clock when the process starts and performance.now() is
// monotonic from then on, so values from different processes on the same
// machine are comparable (bench/lib/proc.ts measures the residual offset
// over IPC and corrects for it where latencies cross processes).
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
