// How faults are put into words: start-up lines (one line, naming the file
// or address and the cause) and storage faults at run time (typed as
// DATABASE_UNAVAILABLE instead of masked as "Unexpected error.").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSqliteFault, storageFault } from '../../src/db/errors.js';
import { osReason, StartupError } from '../../src/base/startup.js';
import { startupFailure } from '../../src/app/run.js';

const err = (code: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });

test('storageFault: SQLite disk, file and corruption errors, PostgreSQL connection classes and socket errors', () => {
  assert.equal(storageFault(err('SQLITE_IOERR_WRITE', 'disk I/O error')), 'disk I/O error (SQLITE_IOERR_WRITE)');
  for (const code of ['SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', 'SQLITE_READONLY_DBMOVED']) {
    assert.ok(storageFault(err(code, 'x')), code);
  }
  for (const code of ['08006', '08001', '53100', '57P01', '57P03', '25006', 'ECONNREFUSED', 'ECONNRESET']) {
    assert.ok(storageFault(err(code, 'x')), code);
  }
  // Found through a wrapping error's cause too.
  assert.ok(storageFault(new Error('wrapped', { cause: err('SQLITE_FULL', 'database or disk is full') })));
});

test('storageFault: the request’s own faults and bugs are not storage faults', () => {
  for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSY', 'SQLITE_ERROR', '23505', '42P01', '22P02', 'P2002']) {
    assert.equal(storageFault(err(code, 'x')), null, code);
  }
  assert.equal(storageFault(new TypeError('x is undefined')), null);
  assert.equal(storageFault(null), null);
  assert.equal(storageFault('text'), null);
});

test('describeSqliteFault names the file and the cause in one line', () => {
  const path = '/data/hookline.db';
  const notADb = describeSqliteFault(err('SQLITE_NOTADB', 'file is not a database'), path)!;
  assert.match(notADb, /^\/data\/hookline\.db is not a SQLite database \(file is not a database\)/);
  assert.match(
    describeSqliteFault(err('SQLITE_CORRUPT', 'database disk image is malformed'), path)!,
    /\/data\/hookline\.db is corrupt \(database disk image is malformed\)/,
  );
  assert.match(
    describeSqliteFault(err('SQLITE_CANTOPEN', 'unable to open database file'), path)!,
    /cannot open the SQLite database \/data\/hookline\.db/,
  );
  assert.match(
    describeSqliteFault(err('SQLITE_FULL', 'database or disk is full'), path)!,
    /\/data\/hookline\.db: database or disk is full \(SQLITE_FULL\)/,
  );
  assert.equal(describeSqliteFault(err('SQLITE_CONSTRAINT', 'x'), path), null);
  for (const s of [notADb]) assert.doesNotMatch(s, /\n/);
});

test('osReason keeps the code and the reason, not the path Node repeats', () => {
  assert.equal(osReason(err('EACCES', "EACCES: permission denied, open '/x/y'")), 'EACCES: permission denied');
  assert.equal(osReason(err('EPERM', "EPERM: operation not permitted, mkdir '/x'")), 'EPERM: operation not permitted');
  assert.equal(osReason(new Error('plain')), 'plain');
});

test('a start-up failure is one line: a StartupError as it is, anything else as its first line', () => {
  assert.equal(
    startupFailure(new StartupError('cannot listen on a:1:\n  the address is already in use')),
    'hookline: cannot listen on a:1: the address is already in use',
  );
  assert.equal(startupFailure(new Error('boom\n    at x (y.js:1:1)')), 'hookline: failed to start: boom');
});
