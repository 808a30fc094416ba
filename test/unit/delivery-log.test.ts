// The delivery log's pure pieces: cursors and their order, page planning,
// filter checks and their live equivalents, error classes, monotonic ids,
// and the catch-up stream's gap-free, duplicate-free merge.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import { compareKeys, cursorOf, decodeLogCursor, encodeLogCursor, keyOf, parseLogCursor } from '../../src/domain/log/cursor.js';
import {
  describeFilter,
  matchesAttempt,
  matchesDelivery,
  parseAttemptFilter,
  parseDeliveryFilter,
  withShorthands,
} from '../../src/domain/log/filter.js';
import { boundedCount, COUNT_CAP, planPage, shapePage } from '../../src/domain/log/page.js';
import { errorClassOf } from '../../src/dispatch/policy.js';
import { newMonotonicId } from '../../src/base/ids.js';
import { catchUp } from '../../src/live/catchUp.js';
import { KEY_REVOKED } from '../../src/live/revocation.js';

function refused(fn: () => unknown, field: string[], message?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GraphQLError);
    assert.equal(err.extensions.code, 'BAD_USER_INPUT');
    assert.deepEqual(err.extensions.field, field);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('log cursors', () => {
  test('round-trip, per list, and refuse anything else naming the argument', () => {
    const key = { at: Date.UTC(2026, 0, 2, 3, 4, 5, 678), id: 'abcXYZ012' };
    assert.deepEqual(parseLogCursor(encodeLogCursor('attempt', key), 'attempt'), key);
    assert.equal(parseLogCursor(encodeLogCursor('attempt', key), 'delivery'), null);
    assert.equal(cursorOf('attempt', { createdAt: new Date(key.at), id: key.id }), encodeLogCursor('attempt', key));
    // Live events that crossed Redis carry ISO strings: the same cursor.
    assert.equal(cursorOf('attempt', { createdAt: new Date(key.at).toISOString(), id: key.id }), encodeLogCursor('attempt', key));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '',
      'garbage',
      b64({ k: 'a', t: 'x', i: 'a' }),
      b64({ k: 'a', t: 1e20, i: 'a' }),
      b64({ k: 'a', t: 1, i: '../x' }),
      b64(null),
    ]) {
      assert.equal(parseLogCursor(bad, 'attempt'), null, bad);
      refused(() => decodeLogCursor(bad, 'attempt', 'after'), ['after'], /^after is not a cursor from this list$/);
    }
  });

  test('order: createdAt, then id', () => {
    assert.ok(compareKeys({ at: 1, id: 'z' }, { at: 2, id: 'a' }) < 0);
    assert.ok(compareKeys({ at: 2, id: 'b' }, { at: 2, id: 'a' }) > 0);
    assert.equal(compareKeys(keyOf({ createdAt: new Date(5), id: 'q' }), { at: 5, id: 'q' }), 0);
  });
});

describe('log pages', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, createdAt: new Date(1000 - i) }));

  test('forward and backward plans and the page shaped from take + 1 rows', () => {
    const c = cursorOf('attempt', rows(1)[0]);
    assert.deepEqual(planPage('attempt', { first: 2 }, 100), { backward: false, take: 2, from: null });
    assert.deepEqual(planPage('attempt', { last: 3, before: c }, 100), { backward: true, take: 3, from: { at: 1000, id: 'r0' } });
    assert.equal(planPage('attempt', {}, 100).take, 20);
    const fwd = shapePage('attempt', { backward: false, take: 2, from: null }, rows(3));
    assert.deepEqual(
      fwd.edges.map((e) => e.node.id),
      ['r0', 'r1'],
    );
    assert.deepEqual([fwd.pageInfo.hasNextPage, fwd.pageInfo.hasPreviousPage], [true, false]);
    // A backward scan comes oldest first (r2, r1, r0: r2 is the oldest) and is flipped to newest first.
    const back = shapePage('attempt', { backward: true, take: 2, from: { at: 0, id: 'x' } }, rows(3).reverse());
    assert.deepEqual(
      back.edges.map((e) => e.node.id),
      ['r1', 'r2'],
    );
    assert.deepEqual([back.pageInfo.hasNextPage, back.pageInfo.hasPreviousPage], [true, true]);
  });

  test('bad page arguments name the argument', () => {
    refused(() => planPage('attempt', { first: 101 }, 100), ['first']);
    refused(() => planPage('attempt', { first: 1, last: 1 }, 100), ['last']);
    refused(() => planPage('delivery', { first: 1, after: cursorOf('attempt', rows(1)[0]) }, 100), ['after']);
  });

  test('counts are exact up to the cap, then a lower bound', () => {
    assert.deepEqual(boundedCount(COUNT_CAP), { count: COUNT_CAP, capped: false });
    assert.deepEqual(boundedCount(COUNT_CAP + 1), { count: COUNT_CAP, capped: true });
  });
});

describe('log filters', () => {
  const attempt = {
    webhookId: 'w1',
    eventId: 'e1',
    eventType: 'order.paid',
    status: 'FAILED' as const,
    trigger: 'SCHEDULED' as const,
    responseStatus: 503,
    errorClass: 'HTTP_ERROR',
    responseBody: 'Upstream BUSY; try later',
    createdAt: '2026-03-01T10:00:00.000Z',
  };

  test('checks: empty lists, inverted ranges, status codes, search length and NUL', () => {
    const from = new Date('2026-02-01T00:00:00Z');
    const to = new Date('2026-01-01T00:00:00Z');
    refused(() => parseAttemptFilter({ from, to }), ['filter', 'to'], /^filter\.to must not be before filter\.from$/);
    refused(() => parseDeliveryFilter({ from, to }), ['filter', 'to']);
    refused(() => parseAttemptFilter({ httpStatusFrom: 99 }), ['filter', 'httpStatusFrom']);
    refused(() => parseAttemptFilter({ httpStatusTo: 600 }), ['filter', 'httpStatusTo']);
    refused(() => parseAttemptFilter({ httpStatusFrom: 500, httpStatusTo: 499 }), ['filter', 'httpStatusTo']);
    refused(() => parseAttemptFilter({ statuses: [] }), ['filter', 'statuses'], /must not be empty/);
    refused(() => parseAttemptFilter({ search: '' }), ['filter', 'search']);
    refused(() => parseAttemptFilter({ search: 'a\u0000b' }), ['filter', 'search'], /NUL/);
    refused(() => parseDeliveryFilter({ eventTypes: ['a\u0000'] }), ['filter', 'eventTypes'], /NUL/);
    // The same instant is an empty range, not an inverted one.
    assert.equal(parseAttemptFilter({ from, to: from }).to?.getTime(), from.getTime());
    assert.equal(parseAttemptFilter({ search: 'BuSy' }).search, 'busy');
  });

  test('live matching agrees with the SQL conditions field by field', () => {
    const yes = (f: Parameters<typeof parseAttemptFilter>[0]) =>
      assert.ok(matchesAttempt(parseAttemptFilter(f), attempt), JSON.stringify(f));
    const no = (f: Parameters<typeof parseAttemptFilter>[0]) =>
      assert.ok(!matchesAttempt(parseAttemptFilter(f), attempt), JSON.stringify(f));
    yes({});
    yes({ webhookIds: ['w0', 'w1'] });
    no({ webhookIds: ['w2'] });
    yes({ eventTypes: ['order.paid'] });
    no({ eventTypes: ['order.created'] });
    yes({ eventId: 'e1' });
    no({ eventId: 'e2' });
    yes({ statuses: ['FAILED'] });
    no({ statuses: ['SUCCEEDED'] });
    no({ triggers: ['MANUAL'] });
    yes({ httpStatusFrom: 500, httpStatusTo: 599 });
    no({ httpStatusTo: 499 });
    yes({ errorClasses: ['HTTP_ERROR', 'TIMEOUT'] });
    no({ errorClasses: ['TIMEOUT'] });
    yes({ from: new Date('2026-03-01T10:00:00.000Z') });
    no({ to: new Date('2026-03-01T10:00:00.000Z') });
    yes({ search: 'busy;' });
    no({ search: 'later', httpStatusTo: 404 });
    assert.ok(
      !matchesAttempt(parseAttemptFilter({ search: 'late' }), { ...attempt, responseBody: `${'x'.repeat(1024)}late` }),
      'only the first KiB',
    );
    assert.ok(!matchesAttempt(parseAttemptFilter({ httpStatusFrom: 100 }), { ...attempt, responseStatus: null }));
    const d = { webhookId: 'w1', eventId: 'e1', eventType: 't', status: 'PENDING' as const, createdAt: new Date('2026-01-01') };
    assert.ok(matchesDelivery(parseDeliveryFilter({ statuses: ['PENDING'], webhookIds: ['w1'] }), d));
    assert.ok(!matchesDelivery(parseDeliveryFilter({ statuses: ['FAILED'] }), d));
  });

  test('shorthands narrow the filter; a disagreeing one matches nothing', () => {
    const f = withShorthands(parseAttemptFilter({ webhookIds: ['w1', 'w2'] }), { webhookId: 'w2', status: 'FAILED' });
    assert.deepEqual([f.webhookIds, f.statuses], [['w2'], ['FAILED']]);
    const none = withShorthands(parseAttemptFilter({ statuses: ['SUCCEEDED'] }), { status: 'FAILED' });
    assert.deepEqual(none.statuses, []);
    assert.ok(!matchesAttempt(none, attempt));
  });

  test('a plain description for bulk operations', () => {
    assert.equal(describeFilter(parseAttemptFilter({})), 'any');
    assert.equal(
      describeFilter(parseAttemptFilter({ statuses: ['FAILED'], httpStatusFrom: 500, httpStatusTo: 599, search: 'Busy' })),
      'status FAILED, HTTP status 500–599, response body containing "busy"',
    );
  });
});

describe('error classes and attempt ids', () => {
  test('errorClassOf: the transport code, HTTP_ERROR for a non-2xx answer, null for success', () => {
    assert.equal(errorClassOf({ status: 200, error: null, retryAfterMs: null }), null);
    assert.equal(errorClassOf({ status: 500, error: null, retryAfterMs: null }), 'HTTP_ERROR');
    assert.equal(errorClassOf({ status: null, error: { code: 'TIMEOUT', message: '' }, retryAfterMs: null }), 'TIMEOUT');
    assert.equal(errorClassOf({ status: 302, error: { code: 'REDIRECT', message: '' }, retryAfterMs: null }), 'REDIRECT');
    assert.equal(errorClassOf({ status: null, error: { code: 'EWHATEVER', message: '' }, retryAfterMs: null }), 'NETWORK');
  });

  test('newMonotonicId sorts in the order made, within one millisecond and when the clock steps back', () => {
    const ids = [newMonotonicId(5_000), newMonotonicId(5_000), newMonotonicId(5_000), newMonotonicId(4_000), newMonotonicId(6_000)];
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9]{24}$/);
  });
});

describe('catchUp', () => {
  type Row = { id: string; createdAt: Date };
  const row = (n: number): Row => ({ id: `id${String(n).padStart(4, '0')}`, createdAt: new Date(1_000 + n) });

  /** A live source the test pushes into. */
  function liveFeed() {
    const queue: (Row | typeof KEY_REVOKED)[] = [];
    let wake: (() => void) | null = null;
    let started = false;
    const source: AsyncIterable<Row | typeof KEY_REVOKED> = {
      [Symbol.asyncIterator]: () => ({
        async next() {
          started = true;
          while (!queue.length) await new Promise<void>((r) => (wake = r));
          return { done: false, value: queue.shift()! };
        },
        async return() {
          return { done: true, value: undefined };
        },
      }),
    };
    return {
      source,
      push: (r: Row | typeof KEY_REVOKED) => {
        queue.push(r);
        wake?.();
      },
      started: () => started,
    };
  }

  test('history after the cursor, then live rows; rows both stored and live once; rows at or before the cursor never', async () => {
    const feed = liveFeed();
    const stored = Array.from({ length: 12 }, (_, i) => row(i));
    let reads = 0;
    const stream = catchUp<Row>({
      live: feed.source,
      ready: async () => {
        assert.ok(feed.started(), 'subscribed before reading history');
        // Written while the history is read: row 12 is stored and also announced.
        feed.push(row(3));
        stored.push(row(12));
        feed.push(row(12));
      },
      after: keyOf(row(1)),
      history: async (after, n) => {
        reads++;
        return stored.filter((r) => compareKeys(keyOf(r), after) > 0).slice(0, n);
      },
      keyOf,
      idOf: (r) => r.id,
      pageSize: 4,
      now: () => 1_000,
    });
    const got: string[] = [];
    for await (const r of stream) {
      assert.notEqual(r, KEY_REVOKED);
      got.push((r as Row).id);
      if (got.length === 11) feed.push(row(13));
      if (got.length === 12) break;
    }
    assert.deepEqual(
      got,
      Array.from({ length: 12 }, (_, i) => row(i + 2).id),
    );
    assert.equal(reads, 3, 'pages of 4: 4 + 4 + 3');
  });

  test('a revocation during the history ends the stream with KEY_REVOKED', async () => {
    const feed = liveFeed();
    const stream = catchUp<Row>({
      live: feed.source,
      ready: async () => feed.push(KEY_REVOKED),
      after: keyOf(row(0)),
      history: async () => [],
      keyOf,
      idOf: (r) => r.id,
    });
    const got: unknown[] = [];
    for await (const r of stream) got.push(r);
    assert.deepEqual(got, [KEY_REVOKED]);
  });
});
