/** A unique-constraint violation on either database (or from Prisma, P2002). */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: string; message?: string; meta?: { code?: string } };
  if (e.code === 'P2002' || e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return true;
  const text = `${e.meta?.code ?? ''} ${e.message ?? ''}`;
  return /UNIQUE constraint failed|23505|unique constraint|duplicate key/i.test(text);
}
