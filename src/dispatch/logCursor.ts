// Cursors of the delivery log (events, deliveries, attempts): a row's
// createdAt in milliseconds and its id, as base64url "<ms>:<id>". Pure, so
// the queries and their unit tests share one codec (test/unit/cursors.test.ts).
import { GraphQLError } from 'graphql';

export interface LogCursor {
  createdAt: Date;
  id: string;
}

export const encodeLogCursor = (row: LogCursor) => Buffer.from(`${row.createdAt.getTime()}:${row.id}`).toString('base64url');

/** The cursor in `cursor`, or a BAD_USER_INPUT error naming `after`. */
export function decodeLogCursor(cursor: string): LogCursor {
  const m = /^(\d+):([A-Za-z0-9]+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  // A forged timestamp beyond what a Date holds would reach the query as an Invalid Date.
  const createdAt = new Date(m ? Number(m[1]) : NaN);
  if (!m || Number.isNaN(createdAt.getTime())) {
    throw new GraphQLError('after is not a cursor from this list', { extensions: { code: 'BAD_USER_INPUT', field: ['after'] } });
  }
  return { createdAt, id: m[2] };
}
