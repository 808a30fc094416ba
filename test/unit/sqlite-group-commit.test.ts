// Group commit on SQLite (src/db/sqlite.ts): concurrent transactions share
// one BEGIN … COMMIT, each in its own savepoint. Checked directly on an
// in-memory database: a failing body rolls back alone and rejects alone, the
// others commit, and after-commit events are raised for committed bodies only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Bus } from '../../src/base/bus.js';
import type { AppEvents } from '../../src/db/events.js';
import { SqliteSql } from '../../src/db/sqlite.js';

function open() {
  const bus = new Bus<AppEvents>();
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  let begins = 0;
  const sql = new SqliteSql(db, bus, null, { groupCommit: true });
  const exec = db.prepare.bind(db);
  db.prepare = ((text: string) => {
    const stmt = exec(text);
    if (!/^BEGIN/.test(text)) return stmt;
    // Counts each BEGIN run (the statement is prepared once and cached).
    return new Proxy(stmt, {
      get: (target, name) => (name === 'run' ? (...a: unknown[]) => (begins++, target.run(...a)) : Reflect.get(target, name, target)),
    });
  }) as typeof db.prepare;
  return { sql, bus, db, begins: () => begins };
}

test('concurrent transactions share one commit; a failing one rolls back alone and the others commit', async () => {
  const { sql, bus, db } = open();
  const woken: string[] = [];
  bus.on('deliveries.due', (e) => woken.push(e.accountId));
  const write = (k: string, fail = false) =>
    sql.tx(async (tx) => {
      await tx.run('INSERT INTO t (k, v) VALUES (?, 1)', [k]);
      tx.afterCommit('deliveries.due', { accountId: k });
      if (fail) throw new Error(`boom ${k}`);
      return k;
    });
  const results = await Promise.allSettled([write('a'), write('b', true), write('c'), write('a')]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
  );
  assert.equal((results[1] as PromiseRejectedResult).reason.message, 'boom b');
  assert.match(String((results[3] as PromiseRejectedResult).reason.code), /SQLITE_CONSTRAINT/);
  assert.deepEqual(
    db
      .prepare('SELECT k FROM t ORDER BY k')
      .all()
      .map((r) => (r as { k: string }).k),
    ['a', 'c'],
  );
  assert.deepEqual(woken, ['a', 'c']);
  assert.equal(db.inTransaction, false);
});

test('transactions of one turn share a BEGIN; later ones still run', async () => {
  const { sql, db, begins } = open();
  const all = Array.from({ length: 10 }, (_, i) => sql.tx((tx) => tx.run('INSERT INTO t (k, v) VALUES (?, ?)', [`k${i}`, i])));
  assert.deepEqual(await Promise.all(all), Array(10).fill(1));
  const first = begins();
  assert.equal(first, 1, `${first} BEGINs for 10 transactions of one turn`);
  await sql.tx((tx) => tx.run('UPDATE t SET v = v + 1'));
  assert.equal(begins(), 2);
  assert.equal((db.prepare('SELECT SUM(v) AS s FROM t').get() as { s: number }).s, 45 + 10);
});
