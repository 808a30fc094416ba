// Measures at the receiver: arrival times of requests in sliding windows.

/** The most arrivals within any `spanMs` (a half-open window [t, t + spanMs)). */
export function densestWindow(times: readonly number[], spanMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= spanMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}
