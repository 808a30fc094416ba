// Console links: sign-in links for the console, kept as a token hash.
import type { ConsoleLink, Role } from '../../generated/prisma/client.js';
import type { Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';

export type { ConsoleLink };

export function consoleLinkFromRow(d: Dialect, r: Row): ConsoleLink {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    createdById: r.createdById as string,
    role: r.role as Role,
    tokenHash: r.tokenHash as string,
    createdAt: d.date(r.createdAt),
    expiresAt: d.date(r.expiresAt),
    revokedAt: d.dateOrNull(r.revokedAt),
  };
}

const COLUMNS = ['id', 'accountId', 'createdById', 'role', 'tokenHash', 'createdAt', 'expiresAt', 'revokedAt'] as const;

export async function insertConsoleLink(sql: Sql, l: ConsoleLink): Promise<void> {
  await sql.run(
    `INSERT INTO "ConsoleLink" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
    COLUMNS.map((c) => l[c]),
  );
}

export async function listConsoleLinks(sql: Sql, accountId: string): Promise<ConsoleLink[]> {
  const rows = await sql.all(`SELECT * FROM "ConsoleLink" WHERE "accountId" = ? ORDER BY "createdAt" DESC, "id"`, [accountId]);
  return rows.map((r) => consoleLinkFromRow(sql.dialect, r));
}

export async function findConsoleLink(sql: Sql, accountId: string, id: string): Promise<ConsoleLink | null> {
  const r = await sql.get(`SELECT * FROM "ConsoleLink" WHERE "accountId" = ? AND "id" = ?`, [accountId, id]);
  return r ? consoleLinkFromRow(sql.dialect, r) : null;
}

export async function revokeConsoleLinkRow(sql: Sql, accountId: string, id: string, at: Date): Promise<ConsoleLink | null> {
  const r = await sql.get(`UPDATE "ConsoleLink" SET "revokedAt" = ? WHERE "accountId" = ? AND "id" = ? RETURNING *`, [at, accountId, id]);
  return r ? consoleLinkFromRow(sql.dialect, r) : null;
}

/** Revokes every live link `createdById` made; returns their ids. */
export async function revokeLinksCreatedBy(sql: Sql, accountId: string, createdById: string, at: Date): Promise<string[]> {
  const rows = await sql.all<{ id: string }>(
    `UPDATE "ConsoleLink" SET "revokedAt" = ? WHERE "accountId" = ? AND "createdById" = ? AND "revokedAt" IS NULL RETURNING "id"`,
    [at, accountId, createdById],
  );
  return rows.map((r) => r.id);
}

export interface LinkHolder {
  linkId: string;
  accountId: string;
  role: Role;
  /** The maker's role now: a link never acts above it (see authenticateLink). */
  makerRole: Role;
  expiresAt: Date;
  associateId: string;
  associateName: string;
}

/** The unrevoked link with this token hash and the admin who made it: one indexed lookup. Expiry is the caller's check (it owns the clock). */
export async function linkHolderByHash(sql: Sql, tokenHash: string): Promise<LinkHolder | undefined> {
  const r = await sql.get(
    `SELECT l."id" AS "linkId", l."accountId", l."role", l."expiresAt", a."id" AS "associateId", a."name" AS "associateName",
            a."role" AS "makerRole"
     FROM "ConsoleLink" l JOIN "Associate" a ON a."id" = l."createdById"
     WHERE l."tokenHash" = ? AND l."revokedAt" IS NULL AND a."deletedAt" IS NULL`,
    [tokenHash],
  );
  return r
    ? {
        linkId: r.linkId as string,
        accountId: r.accountId as string,
        role: r.role as Role,
        makerRole: r.makerRole as Role,
        expiresAt: sql.dialect.date(r.expiresAt),
        associateId: r.associateId as string,
        associateName: r.associateName as string,
      }
    : undefined;
}
