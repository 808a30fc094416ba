/**
 * A unique-constraint violation, from a Prisma model call (P2002) or from a
 * raw statement on either provider.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: string; message?: string; meta?: { code?: string } };
  if (e.code === 'P2002') return true;
  const text = `${e.meta?.code ?? ''} ${e.message ?? ''}`;
  return /UNIQUE constraint failed|23505|unique constraint|duplicate key/i.test(text);
}
