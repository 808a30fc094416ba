// The raw SQL interface every store uses, on either database. Statements are
// prepared once and cached by their text, so stores keep statement texts
// fixed (lists go in as one bound parameter, see Dialect.inList).
import type { Dialect } from './dialect.js';
import type { AppEvents } from './events.js';

export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: Dialect;
  all<T = Row>(text: string, values?: readonly unknown[]): Promise<T[]>;
  get<T = Row>(text: string, values?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(text: string, values?: readonly unknown[]): Promise<number>;
  /**
   * Runs `fn` in one transaction. On SQLite `fn` must await nothing but
   * statements on `tx` (no network, no timers): the transaction then holds
   * the write lock only for as long as the statements take.
   */
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export interface Tx extends Sql {
  /** Raises `name` on the event bus once (and only if) this transaction commits. */
  afterCommit<K extends keyof AppEvents>(name: K, value: AppEvents[K]): void;
}

/** Deadlocks, serialisation failures and a busy SQLite file are worth another try. */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return /^(40P01|40001)$/.test(e?.code ?? '') || /SQLITE_BUSY|database is locked|deadlock/i.test(`${e?.code ?? ''} ${e?.message ?? ''}`);
}
