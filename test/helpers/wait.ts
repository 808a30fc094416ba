// Polling for conditions: tests wait for a state, never for a duration.

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitUntil<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Lets the worker run through several poll cycles, for checks that something did NOT happen. */
export function settle(ms = 500): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
