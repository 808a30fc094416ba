/** A unique-constraint violation on either database (or from Prisma, P2002). */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: string; message?: string; meta?: { code?: string } };
  if (e.code === 'P2002' || e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return true;
  const text = `${e.meta?.code ?? ''} ${e.message ?? ''}`;
  return /UNIQUE constraint failed|23505|unique constraint|duplicate key/i.test(text);
}

const SQLITE_STORAGE = /^SQLITE_(IOERR|FULL|READONLY|CORRUPT|NOTADB|CANTOPEN)/;
// PostgreSQL classes 08 (connection exception), 53 (insufficient resources:
// disk full, out of memory), 57P0x (shut down, restarting), 25006 (read-only
// transaction: a standby); and the socket failures of reaching it at all.
const PG_STORAGE = /^(08...|53...|57P0.|25006)$/;
const NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * The database cannot take the write (or cannot be reached): a disk or
 * file fault, a full disk, a read-only or corrupt file, a lost connection.
 * Not a bug in the request; worth retrying once the operator fixed it.
 * Returns the driver's words for it, or null.
 */
export function storageFault(err: unknown): string | null {
  for (let e = err as { code?: unknown; message?: string; cause?: unknown } | null, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (SQLITE_STORAGE.test(code) || PG_STORAGE.test(code) || NET.has(code)) {
      return `${(e.message ?? code).split('\n')[0]} (${code})`;
    }
    e = e.cause as typeof e;
  }
  return null;
}

/** A one-line start-up message for a SQLite file that cannot be used, or null when err is something else. */
export function describeSqliteFault(err: unknown, path: string): string | null {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const said = String((err as Error | null)?.message ?? err).split('\n')[0];
  if (code.startsWith('SQLITE_NOTADB')) {
    return `${path} is not a SQLite database (${said}): DATABASE_URL names another kind of file, or the file is damaged; restore it from a backup or point DATABASE_URL elsewhere`;
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return `the SQLite database ${path} is corrupt (${said}); restore it from a backup (see https://sqlite.org/recovery.html)`;
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return `cannot open the SQLite database ${path}: ${said} (${code})`;
  if (code.startsWith('SQLITE_READONLY')) return `cannot write the SQLite database ${path}: ${said} (${code})`;
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_FULL')) {
    return `cannot write the SQLite database ${path}: ${said} (${code}); check the disk and its free space`;
  }
  return null;
}
