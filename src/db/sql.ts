// Hand-written SQL for the delivery hot path, in both dialects. Prisma's
// model API costs a round trip per row; these statements batch a whole claim
// or a whole set of outcomes into one statement each.
import { provider } from './client.js';

/**
 * Collects bind values and writes the provider's placeholder for each.
 * SQLite's "?" binds in text order: call these inline, in the order the
 * placeholders appear in the SQL text.
 */
export class Params {
  readonly values: unknown[] = [];

  /** A plain value. */
  v(value: unknown): string {
    this.values.push(value);
    return provider === 'sqlite' ? '?' : `$${this.values.length}`;
  }

  /** A timestamp: epoch milliseconds on SQLite, timestamp(3) on PostgreSQL. */
  ts(date: Date | null): string {
    if (provider === 'sqlite') return this.v(date === null ? null : date.getTime());
    this.values.push(date === null ? null : date.toISOString());
    return `$${this.values.length}::timestamp(3)`;
  }

  /** An integer that PostgreSQL must not infer as text inside VALUES lists. */
  int(n: number | null): string {
    const p = this.v(n);
    return provider === 'sqlite' ? p : `${p}::int`;
  }

  text(s: string | null): string {
    const p = this.v(s);
    return provider === 'sqlite' ? p : `${p}::text`;
  }

  list(values: string[]): string {
    return values.map((x) => this.v(x)).join(', ');
  }
}

/** Reads a timestamp column from a raw row, whichever provider wrote it. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const s = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
}
