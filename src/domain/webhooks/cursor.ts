// Cursors of the webhook list: the sort field, the row's value in that sort
// and its id, as base64url JSON. Pure, so the list and its unit tests share
// one codec (test/unit/cursors.test.ts).
import { GraphQLError } from 'graphql';
import type { WebhookState } from '../../generated/prisma/client.js';
import type { WebhookOrderField } from './list.js';

export type WebhookCursor = { f: WebhookOrderField; v: string | number; i: string };

/** Webhook states in sort order. */
export const STATE_ORDER: readonly WebhookState[] = ['ACTIVE', 'STOPPED', 'TOO_MANY_ERRORS'];

/** Whole milliseconds a Date can hold (±8.64e15), so a forged cursor never becomes an Invalid Date. */
const isDateMs = (v: unknown): v is number => Number.isInteger(v) && !Number.isNaN(new Date(v as number).getTime());

export const encodeWebhookCursor = (c: WebhookCursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

/**
 * The cursor in `raw`, if it was made for this sort field and its value has
 * the field's type; otherwise a BAD_USER_INPUT error naming the argument `arg`.
 */
export function decodeWebhookCursor(raw: string, field: WebhookOrderField, arg: string): WebhookCursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as WebhookCursor;
    const valueOk =
      field === 'REGISTERED'
        ? isDateMs(c.v)
        : field === 'STATE'
          ? STATE_ORDER.includes(c.v as WebhookState)
          : typeof c.v === 'string' && !c.v.includes('\u0000');
    if (c.f === field && typeof c.i === 'string' && /^[A-Za-z0-9]{1,64}$/.test(c.i) && valueOk) return c;
  } catch {
    // fall through to the error below
  }
  throw new GraphQLError(`${arg} is not a cursor from this list and sort order`, { extensions: { code: 'BAD_USER_INPUT', field: [arg] } });
}
