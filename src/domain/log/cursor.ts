// Cursors of the delivery log: a row's position in the log's one order,
// newest first by (createdAt, id). Ids are unique and createdAt is stored to
// the millisecond, so the order is total: a cursor names exactly one place,
// pages never skip or repeat a row, and a live stream can say "after this
// one" (src/live/catchUp.ts). Pure, so pages, streams and their unit tests
// (test/unit/log-cursor.test.ts) share one codec.
import { GraphQLError } from 'graphql';

/** Which list a cursor belongs to: attempts and deliveries order different rows. */
export type LogKind = 'attempt' | 'delivery' | 'bulk';

/** A row's position: createdAt in milliseconds, then id. */
export interface LogKey {
  at: number;
  id: string;
}

const KIND_TAG: Record<LogKind, string> = { attempt: 'a', delivery: 'd', bulk: 'b' };
const ID = /^[A-Za-z0-9]{1,64}$/;
/** Whole milliseconds a Date can hold (±8.64e15), so a forged cursor never becomes an Invalid Date. */
const isDateMs = (v: unknown): v is number => Number.isInteger(v) && !Number.isNaN(new Date(v as number).getTime());

/** A row's key. Live events that crossed Redis carry their dates as ISO strings. */
export function keyOf(row: { createdAt: Date | string; id: string }): LogKey {
  return { at: new Date(row.createdAt).getTime(), id: row.id };
}

/** Negative when `x` comes first in time (older), positive when later, 0 for the same row. */
export function compareKeys(x: LogKey, y: LogKey): number {
  return x.at - y.at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

export function encodeLogCursor(kind: LogKind, key: LogKey): string {
  return Buffer.from(JSON.stringify({ k: KIND_TAG[kind], t: key.at, i: key.id })).toString('base64url');
}

export const cursorOf = (kind: LogKind, row: { createdAt: Date | string; id: string }) => encodeLogCursor(kind, keyOf(row));

/** The key in `raw` if it is a cursor of this kind of list, else null. */
export function parseLogCursor(raw: string, kind: LogKind): LogKey | null {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { k?: unknown; t?: unknown; i?: unknown };
    if (c && c.k === KIND_TAG[kind] && isDateMs(c.t) && typeof c.i === 'string' && ID.test(c.i)) return { at: c.t, id: c.i };
  } catch {
    // not JSON: refused below
  }
  return null;
}

/** The key in `raw`, or a BAD_USER_INPUT error naming the argument `arg`. */
export function decodeLogCursor(raw: string, kind: LogKind, arg: string): LogKey {
  const key = parseLogCursor(raw, kind);
  if (!key) throw new GraphQLError(`${arg} is not a cursor from this list`, { extensions: { code: 'BAD_USER_INPUT', field: [arg] } });
  return key;
}
