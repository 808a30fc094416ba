// Times SQLite per statement, in this process only: wraps prepare() and the
// Statement run/all/get methods of the better-sqlite3 module that Prisma's
// adapter uses (in memory; nothing on disk changes). better-sqlite3 runs each
// statement synchronously on the calling thread, so the wrapped time is
// exactly SQLite's share. Prisma's own query-event durations are wall time
// across an await and include event-loop queueing under load, so they are
// not used for this. Import before anything from src/ opens the database.
import { createRequire } from 'node:module';

import type { StatementStats } from './sql-report.js';

let recording = false;
let stats = new Map<string, Omit<StatementStats, 'sql'>>();

/** Collapses parameter lists and VALUES rows, so one statement shape is one key. */
export function shape(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/`main`\./g, '')
    .replace(/\((\s*(\?|\$\d+)\s*,?)+\)/g, '(?…)')
    .replace(/VALUES (\(\?…\),? ?)+/g, 'VALUES (?…)…')
    .replace(/(\(\?…\),? ?){2,}/g, '(?…)…')
    .trim()
    .slice(0, 150);
}

function entry(sql: string) {
  const k = shape(sql);
  let s = stats.get(k);
  if (!s) stats.set(k, (s = { count: 0, execMs: 0, prepareMs: 0, maxMs: 0 }));
  return s;
}

// The very better-sqlite3 module the Prisma adapter loads (a dependency of
// the adapter, not of Hookline), resolved from the adapter's own location.
const fromAdapter = createRequire(createRequire(import.meta.url).resolve('@prisma/adapter-better-sqlite3'));
const Database = fromAdapter('better-sqlite3') as {
  new (path: string): { prepare(sql: string): object; close(): void };
  prototype: object;
};

type Fn = (this: { source: string }, ...args: unknown[]) => unknown;
const dbProto = Database.prototype as unknown as { prepare: Fn };
const origPrepare = dbProto.prepare;
dbProto.prepare = function (this: { source: string }, ...args: unknown[]) {
  const t = performance.now();
  const stmt = origPrepare.apply(this, args);
  if (recording) entry(String(args[0])).prepareMs += performance.now() - t;
  return stmt;
};
const probe = new Database(':memory:');
const stmtProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Fn>;
probe.close();
for (const method of ['run', 'all', 'get']) {
  const orig = stmtProto[method];
  stmtProto[method] = function (this: { source: string }, ...args: unknown[]) {
    if (!recording) return orig.apply(this, args);
    const t = performance.now();
    try {
      return orig.apply(this, args);
    } finally {
      const ms = performance.now() - t;
      const e = entry(this.source);
      e.count++;
      e.execMs += ms;
      if (ms > e.maxMs) e.maxMs = ms;
    }
  };
}

export function startTiming(): void {
  stats = new Map();
  recording = true;
}

/** Stops and returns the statements, the most expensive first. */
export function stopTiming(): StatementStats[] {
  recording = false;
  return [...stats].map(([sql, s]) => ({ sql, ...s })).sort((a, b) => b.execMs + b.prepareMs - (a.execMs + a.prepareMs));
}
