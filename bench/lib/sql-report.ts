// Formatting for the per-statement SQLite timings of bench/lib/sqlite-timing.ts
// (kept apart: importing that module patches better-sqlite3).

export interface StatementStats {
  sql: string;
  count: number;
  execMs: number;
  prepareMs: number;
  maxMs: number;
}

/** One line per statement shape, for the report. */
export function formatStatements(list: StatementStats[], per: number, perLabel: string, top = 15): string[] {
  const total = list.reduce((a, x) => a + x.execMs + x.prepareMs, 0);
  return [
    `  count  per ${perLabel}  exec ms  prepare ms  avg µs  max ms  % of SQLite time  statement`,
    ...list
      .slice(0, top)
      .map(
        (x) =>
          `${String(x.count).padStart(7)}  ${(x.count / per).toFixed(3).padStart(4 + perLabel.length)}  ${x.execMs.toFixed(0).padStart(7)}  ${x.prepareMs
            .toFixed(0)
            .padStart(
              10,
            )}  ${((1000 * (x.execMs + x.prepareMs)) / Math.max(1, x.count)).toFixed(0).padStart(6)}  ${x.maxMs.toFixed(1).padStart(6)}  ${(
            (100 * (x.execMs + x.prepareMs)) /
            Math.max(1e-9, total)
          )
            .toFixed(1)
            .padStart(16)}  ${x.sql}`,
      ),
  ];
}
