// Cursor codecs of the webhook list, and the delivery log's connection arguments: round trips, and
// every forged or foreign cursor refused with a BAD_USER_INPUT error that
// names the argument, never a value that breaks the query downstream.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import { decodeWebhookCursor, encodeWebhookCursor, STATE_ORDER, type WebhookCursor } from '../../src/domain/webhooks/cursor.js';
import { formatPrismaCursor, parsePrismaCursor } from '@pothos/plugin-prisma';
import { checkConnectionArgs } from '../../src/server/connectionArgs.js';
import type { WebhookOrderField } from '../../src/domain/webhooks/list.js';

const FIELDS: WebhookOrderField[] = ['NAME', 'TARGET_URL', 'OWNER', 'REGISTERED', 'STATE'];
const b64 = (s: string) => Buffer.from(s).toString('base64url');
const forge = (c: unknown) => b64(JSON.stringify(c));
/** The last millisecond a Date can hold. */
const MAX_DATE_MS = 8.64e15;

/** Asserts `fn` throws the typed BAD_USER_INPUT GraphQLError for `arg`. */
function refused(fn: () => unknown, arg: string, message: string, what: string) {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof GraphQLError, `${what}: not a GraphQLError: ${String(err)}`);
      assert.equal(err.message, message, what);
      assert.equal(err.extensions.code, 'BAD_USER_INPUT', what);
      assert.deepEqual(err.extensions.field, [arg], what);
      return true;
    },
    `${what} was accepted`,
  );
}

const sample: Record<WebhookOrderField, WebhookCursor[]> = {
  NAME: [
    { f: 'NAME', v: 'orders hook', i: 'wh1' },
    { f: 'NAME', v: '', i: 'wh2' },
    { f: 'NAME', v: 'café ☕ +/= "quoted" \\ \n', i: 'wh3' },
  ],
  TARGET_URL: [{ f: 'TARGET_URL', v: 'https://hooks.example.com/in?x=1&y=%20', i: 'abcDEF123' }],
  OWNER: [{ f: 'OWNER', v: 'Ops Team', i: 'k0' }],
  REGISTERED: [
    { f: 'REGISTERED', v: 1_714_564_800_123, i: 'wh1' },
    { f: 'REGISTERED', v: 0, i: 'wh2' },
    { f: 'REGISTERED', v: MAX_DATE_MS, i: 'wh3' },
  ],
  STATE: STATE_ORDER.map((s, n) => ({ f: 'STATE' as const, v: s, i: `wh${n}` })),
};

describe('webhook list cursor', () => {
  test('STATE_ORDER is the sort order of the enum', () => {
    assert.deepEqual(STATE_ORDER, ['ACTIVE', 'STOPPED', 'TOO_MANY_ERRORS']);
  });

  test('round trip for every sort field', () => {
    for (const field of FIELDS) {
      for (const c of sample[field]) {
        const raw = encodeWebhookCursor(c);
        assert.match(raw, /^[A-Za-z0-9_-]+$/, 'base64url, safe in a URL');
        for (const arg of ['after', 'before']) assert.deepEqual(decodeWebhookCursor(raw, field, arg), c);
      }
    }
  });

  test('a REGISTERED cursor decodes to a usable date', () => {
    for (const c of sample.REGISTERED) {
      const d = new Date(decodeWebhookCursor(encodeWebhookCursor(c), 'REGISTERED', 'after').v as number);
      assert.equal(d.getTime(), c.v);
    }
  });

  test('a cursor from another sort order is refused, naming the argument', () => {
    for (const from of FIELDS) {
      for (const to of FIELDS.filter((f) => f !== from)) {
        const raw = encodeWebhookCursor(sample[from][0]);
        for (const arg of ['after', 'before']) {
          refused(
            () => decodeWebhookCursor(raw, to, arg),
            arg,
            `${arg} is not a cursor from this list and sort order`,
            `${from} cursor used for ${to}`,
          );
        }
      }
    }
  });

  test('garbage is refused', () => {
    const garbage = [
      '',
      'not a cursor!',
      '%%%',
      'e30',
      b64('null'),
      b64('42'),
      b64('"NAME"'),
      b64('[]'),
      b64('{'),
      b64('{"f":"NAME","v":"a","i":"x"'),
      '🙂',
    ];
    for (const raw of garbage) {
      for (const field of FIELDS)
        refused(
          () => decodeWebhookCursor(raw, field, 'before'),
          'before',
          'before is not a cursor from this list and sort order',
          `${JSON.stringify(raw)} for ${field}`,
        );
    }
  });

  test('forged cursors with a missing or mistyped id are refused', () => {
    for (const c of [
      { f: 'NAME', v: 'a' },
      { f: 'NAME', v: 'a', i: 7 },
      { f: 'NAME', v: 'a', i: null },
      { f: 'NAME', v: 'a', i: ['x'] },
      { v: 'a', i: 'x' },
      { f: 'name', v: 'a', i: 'x' },
    ]) {
      refused(
        () => decodeWebhookCursor(forge(c), 'NAME', 'after'),
        'after',
        'after is not a cursor from this list and sort order',
        JSON.stringify(c),
      );
    }
  });

  test('forged cursors with a value of the wrong kind are refused', () => {
    const cases: [WebhookOrderField, unknown][] = [
      ['STATE', 'NOT_A_STATE'],
      ['STATE', 'active'],
      ['STATE', 0],
      ['STATE', null],
      ['REGISTERED', 'yesterday'],
      ['REGISTERED', '1714564800000'],
      ['REGISTERED', null],
      ['REGISTERED', true],
      ['REGISTERED', [1]],
      ['NAME', 42],
      ['NAME', null],
      ['TARGET_URL', { url: 'x' }],
      ['OWNER', false],
    ];
    for (const [f, v] of cases) {
      refused(
        () => decodeWebhookCursor(forge({ f, v, i: 'x' }), f, 'after'),
        'after',
        'after is not a cursor from this list and sort order',
        `${f} with ${JSON.stringify(v)}`,
      );
    }
  });

  test('REGISTERED cursors with non-finite values are refused', () => {
    // JSON.stringify cannot write these, but JSON.parse reads 1e400 as Infinity.
    for (const v of ['1e400', '-1e400']) {
      const raw = b64(`{"f":"REGISTERED","v":${v},"i":"x"}`);
      refused(
        () => decodeWebhookCursor(raw, 'REGISTERED', 'after'),
        'after',
        'after is not a cursor from this list and sort order',
        `v=${v}`,
      );
    }
  });

  test('REGISTERED cursors a Date cannot hold are refused, not passed on as Invalid Date', () => {
    for (const v of [MAX_DATE_MS + 1, -MAX_DATE_MS - 1, 1e300, Number.MAX_SAFE_INTEGER, 1.5]) {
      assert.ok(Number.isFinite(v));
      refused(
        () => decodeWebhookCursor(forge({ f: 'REGISTERED', v, i: 'x' }), 'REGISTERED', 'after'),
        'after',
        'after is not a cursor from this list and sort order',
        `v=${v}`,
      );
    }
    // The extremes a Date can hold still decode.
    for (const v of [MAX_DATE_MS, -MAX_DATE_MS])
      assert.equal(decodeWebhookCursor(forge({ f: 'REGISTERED', v, i: 'x' }), 'REGISTERED', 'after').v, v);
  });
});

describe('delivery log connection arguments', () => {
  // The delivery log pages with Pothos's Prisma cursors over the row id.
  const cursorOf = (id: unknown) => formatPrismaCursor({ id }, 'id');
  const MAX = 100;

  test('cursors of row ids and page sizes from 0 to the maximum are accepted', () => {
    for (const id of ['clx0abc123DEF', 'a', 'Z9', 'x'.repeat(24)]) {
      assert.equal(parsePrismaCursor(cursorOf(id)), id);
      checkConnectionArgs({ first: 10, after: cursorOf(id) }, MAX);
      checkConnectionArgs({ last: 10, before: cursorOf(id) }, MAX);
    }
    for (const n of [0, 1, MAX]) {
      checkConnectionArgs({ first: n }, MAX);
      checkConnectionArgs({ last: n }, MAX);
    }
    checkConnectionArgs({}, MAX);
    checkConnectionArgs({ first: null, after: null, last: null, before: null }, MAX);
  });

  test('garbage and forged cursors are refused, naming the argument', () => {
    const bad = [
      '',
      'not a cursor!',
      b64('abc:def'),
      b64('GPC:'),
      b64('GPC:N:5'),
      b64('GPC:J:[1,2]'),
      cursorOf(5),
      cursorOf(''),
      cursorOf('ab-c'),
      cursorOf('abc\n'),
      cursorOf('x'.repeat(65)),
      // The hand-built log cursors this format replaced, "<ms>:<id>" in base64url.
      b64(`${1_714_564_800_123}:abc`),
      encodeWebhookCursor(sample.REGISTERED[0]),
    ];
    for (const raw of bad) {
      const what = JSON.stringify(Buffer.from(raw, 'base64').toString());
      refused(() => checkConnectionArgs({ first: 10, after: raw }, MAX), 'after', 'after is not a cursor from this list', what);
      refused(() => checkConnectionArgs({ last: 10, before: raw }, MAX), 'before', 'before is not a cursor from this list', what);
    }
  });

  test('page sizes outside 0 to the maximum are refused, naming the argument', () => {
    for (const n of [-1, MAX + 1, 1.5, Number.MAX_SAFE_INTEGER]) {
      refused(() => checkConnectionArgs({ first: n }, MAX), 'first', `first must be between 0 and ${MAX}`, `first: ${n}`);
      refused(() => checkConnectionArgs({ last: n }, MAX), 'last', `last must be between 0 and ${MAX}`, `last: ${n}`);
    }
  });

  test('combinations Prisma cursor pagination cannot serve are refused, naming the argument', () => {
    const c = cursorOf('abc');
    refused(() => checkConnectionArgs({ first: 1, last: 1 }, MAX), 'last', 'Pass either first or last, not both', 'first and last');
    refused(() => checkConnectionArgs({ after: c, before: c }, MAX), 'before', 'Pass either after or before, not both', 'after and before');
    refused(
      () => checkConnectionArgs({ first: 1, before: c }, MAX),
      'first',
      'Page backward from before with last, not first',
      'first and before',
    );
    refused(
      () => checkConnectionArgs({ last: 1, after: c }, MAX),
      'last',
      'Page forward from after with first, not last',
      'last and after',
    );
  });
});
