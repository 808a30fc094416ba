// prisma/schema.prisma (SQLite) is the source of the data model;
// prisma/postgres/schema.prisma must carry exactly the same models and enums,
// differing only in its leading comments and generator/datasource blocks.

const BLOCK = /^(generator|datasource)\s+\w+\s*\{[^}]*\}[ \t]*$/gm;

/**
 * A Prisma schema without what legitimately differs between providers:
 * generator and datasource blocks, and the comment lines before the first
 * model or enum. Runs of blank lines are collapsed, so spacing left behind by
 * the removed blocks does not count.
 */
export function modelsOnly(text: string): string {
  const lines = text
    .replace(BLOCK, '')
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''));
  let start = 0;
  while (start < lines.length && (lines[start] === '' || lines[start].trimStart().startsWith('//'))) start++;
  return lines
    .slice(start)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The PostgreSQL schema text with its own header and blocks, and the SQLite schema's models. */
export function syncedPostgresSchema(sqliteText: string, postgresText: string): string {
  let headerEnd = 0;
  for (const m of postgresText.matchAll(BLOCK)) headerEnd = m.index! + m[0].length;
  if (headerEnd === 0) throw new Error('prisma/postgres/schema.prisma has no generator or datasource block');
  return `${postgresText.slice(0, headerEnd)}\n\n${modelsOnly(sqliteText)}\n`;
}
