// The SQL dialects' value readers and fragments. Run in a zone far from UTC,
// so a zone-less timestamp read as local time would show.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectFor, postgresDialect, sqliteDialect, type EnumType } from '../../src/db/dialect.js';

process.env.TZ = 'America/New_York';

const DIALECTS = [sqliteDialect, postgresDialect];
const AT = Date.UTC(2024, 4, 1, 12, 0, 0, 123); // 2024-05-01T12:00:00.123Z

test('the test runs in a zone where local time is not UTC', () => {
  assert.notEqual(new Date('2024-05-01T12:00:00.123').getTime(), AT);
});

test('dialectFor', () => {
  assert.equal(dialectFor('sqlite'), sqliteDialect);
  assert.equal(dialectFor('postgresql'), postgresDialect);
  assert.equal(sqliteDialect.provider, 'sqlite');
  assert.equal(postgresDialect.provider, 'postgresql');
});

describe('date', () => {
  for (const d of DIALECTS) {
    test(`${d.provider}: Date, milliseconds, bigint and numeric text`, () => {
      const date = new Date(AT);
      assert.equal(d.date(date), date, 'a Date is returned as is');
      assert.equal(d.date(AT).getTime(), AT);
      assert.equal(d.date(0).getTime(), 0);
      assert.equal(d.date(BigInt(AT)).getTime(), AT);
      assert.equal(d.date(String(AT)).getTime(), AT);
      assert.equal(d.date('0').getTime(), 0);
    });

    test(`${d.provider}: ISO text with a zone keeps its zone`, () => {
      for (const s of [
        '2024-05-01T12:00:00.123Z',
        '2024-05-01T12:00:00.123z',
        '2024-05-01T14:00:00.123+02:00',
        '2024-05-01T14:00:00.123+0200',
        '2024-05-01T07:00:00.123-05:00',
        '2024-05-01T07:00:00.123-0500',
      ]) {
        assert.equal(d.date(s).getTime(), AT, s);
      }
    });

    test(`${d.provider}: text without a zone is UTC, with a space or a T`, () => {
      for (const s of ['2024-05-01T12:00:00.123', '2024-05-01 12:00:00.123', '2024-05-01 12:00:00.123456']) {
        assert.equal(d.date(s).getTime(), AT, s);
      }
      assert.equal(d.date('2024-05-01 12:00:00').getTime(), AT - 123, 'SQLite CURRENT_TIMESTAMP format');
      assert.equal(d.date('2024-05-01').getTime(), Date.UTC(2024, 4, 1));
    });

    test(`${d.provider}: dateOrNull`, () => {
      assert.equal(d.dateOrNull(null), null);
      assert.equal(d.dateOrNull(undefined), null);
      assert.equal(d.dateOrNull(0)?.getTime(), 0, '0 is the epoch, not null');
      assert.equal(d.dateOrNull('2024-05-01 12:00:00.123')?.getTime(), AT);
      assert.equal(d.dateOrNull(BigInt(AT))?.getTime(), AT);
    });
  }
});

describe('json', () => {
  for (const d of DIALECTS) {
    test(`${d.provider}: text is parsed, anything else is already parsed`, () => {
      assert.deepEqual(d.json('{"a":[1,{"b":null}],"c":"x"}'), { a: [1, { b: null }], c: 'x' });
      assert.deepEqual(d.json('[]'), []);
      assert.equal(d.json('null'), null);
      assert.equal(d.json('"text"'), 'text');
      assert.equal(d.json('12'), 12);
      const obj = { x: 1 };
      assert.equal(d.json(obj), obj, 'jsonb values come back as objects: returned as is');
      assert.equal(d.json(null), null);
      assert.equal(d.json(7), 7);
      assert.throws(() => d.json('{not json'), SyntaxError);
    });
  }
});

describe('bool', () => {
  test('sqlite: 1, 1n and true are true', () => {
    for (const v of [1, 1n, true]) assert.equal(sqliteDialect.bool(v), true, String(v));
    for (const v of [0, 0n, false, null, undefined, '1', 'true', 2, -1]) assert.equal(sqliteDialect.bool(v), false, String(v));
  });

  test('postgresql: only true is true', () => {
    assert.equal(postgresDialect.bool(true), true);
    for (const v of [false, 1, 1n, 't', 'true', null, undefined]) assert.equal(postgresDialect.bool(v), false, String(v));
  });
});

describe('SQL fragments', () => {
  test('cast on PostgreSQL: builtin types, timestamp(3), boolean, and quoted enum names', () => {
    assert.equal(postgresDialect.cast('?', 'int'), '?::int');
    assert.equal(postgresDialect.cast('?', 'text'), '?::text');
    assert.equal(postgresDialect.cast('?', 'timestamp'), '?::timestamp(3)');
    assert.equal(postgresDialect.cast('?', 'bool'), '?::boolean');
    for (const e of ['WebhookState', 'DeliveryStatus', 'AttemptStatus', 'AttemptTrigger', 'Role'] as EnumType[]) {
      assert.equal(postgresDialect.cast('?', e), `?::"${e}"`);
    }
    assert.equal(postgresDialect.cast('$3', 'int'), '$3::int', 'casts the placeholder it is given');
  });

  test('cast on SQLite is the bare placeholder', () => {
    for (const t of ['int', 'text', 'timestamp', 'bool', 'WebhookState', 'Role'] as const) assert.equal(sqliteDialect.cast('?', t), '?');
  });

  test('list membership, substring match, ids and row locks', () => {
    assert.equal(sqliteDialect.inList('"id"'), '"id" IN (SELECT value FROM json_each(?))');
    assert.equal(postgresDialect.inList('"id"'), '"id" = ANY(?)');
    assert.equal(sqliteDialect.containsLower('"name"'), 'instr(lower("name"), ?) > 0');
    assert.equal(postgresDialect.containsLower('"name"'), 'strpos(lower("name"), ?) > 0');
    assert.equal(sqliteDialect.skipLocked, '');
    assert.equal(postgresDialect.skipLocked, 'FOR UPDATE SKIP LOCKED');
    assert.equal(sqliteDialect.forUpdate, '');
    assert.equal(postgresDialect.forUpdate, 'FOR UPDATE');
    for (const d of DIALECTS) assert.equal(d.inList('x').split('?').length - 1, 1, 'one bound parameter whatever the list length');
  });
});
