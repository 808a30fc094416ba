// Accounts (tenants), their associates (people) and API keys.
import type { Account, ApiKey, Associate, Role } from '../../generated/prisma/client.js';
import type { Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';

export type { Account, ApiKey, Associate };

export async function accountIdByName(sql: Sql, name: string): Promise<string | null> {
  return (await sql.get<{ id: string }>(`SELECT "id" FROM "Account" WHERE "name" = ?`, [name]))?.id ?? null;
}

export function accountFromRow(d: Dialect, r: Row): Account {
  return { id: r.id as string, name: r.name as string, createdAt: d.date(r.createdAt) };
}

export async function findAccount(sql: Sql, id: string): Promise<Account | null> {
  const r = await sql.get(`SELECT * FROM "Account" WHERE "id" = ?`, [id]);
  return r ? accountFromRow(sql.dialect, r) : null;
}

export async function renameAccount(sql: Sql, id: string, name: string): Promise<Account | null> {
  const r = await sql.get(`UPDATE "Account" SET "name" = ? WHERE "id" = ? RETURNING *`, [name, id]);
  return r ? accountFromRow(sql.dialect, r) : null;
}

export async function insertAccount(sql: Sql, a: Account): Promise<void> {
  await sql.run(`INSERT INTO "Account" ("id", "name", "createdAt") VALUES (?, ?, ?)`, [a.id, a.name, a.createdAt]);
}

/**
 * Locks the account's row for the rest of the transaction (PostgreSQL), so
 * changes that must keep an account-wide rule (at least one admin) run one
 * at a time; SQLite's write transactions already do.
 */
export async function lockAccount(sql: Sql, accountId: string): Promise<void> {
  await sql.get(`SELECT "id" FROM "Account" WHERE "id" = ? ${sql.dialect.forUpdate}`, [accountId]);
}

// ---- associates

export function associateFromRow(d: Dialect, r: Row): Associate {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    name: r.name as string,
    email: r.email as string,
    role: r.role as Role,
    createdAt: d.date(r.createdAt),
    updatedAt: d.date(r.updatedAt),
    deletedAt: d.dateOrNull(r.deletedAt),
  };
}

export async function insertAssociate(sql: Sql, a: Omit<Associate, 'deletedAt'>): Promise<void> {
  await sql.run(
    `INSERT INTO "Associate" ("id", "accountId", "name", "email", "role", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [a.id, a.accountId, a.name, a.email, a.role, a.createdAt, a.updatedAt],
  );
}

/** The account's associates, deleted ones left out. */
export async function listAssociates(sql: Sql, accountId: string): Promise<Associate[]> {
  const rows = await sql.all(`SELECT * FROM "Associate" WHERE "accountId" = ? AND "deletedAt" IS NULL ORDER BY "name", "id"`, [accountId]);
  return rows.map((r) => associateFromRow(sql.dialect, r));
}

/** An associate who has not been deleted: who may own things, hold keys or be changed. */
export async function findAssociate(sql: Sql, accountId: string, id: string): Promise<Associate | null> {
  const r = await sql.get(`SELECT * FROM "Associate" WHERE "accountId" = ? AND "id" = ? AND "deletedAt" IS NULL`, [accountId, id]);
  return r ? associateFromRow(sql.dialect, r) : null;
}

/** Deleted ones too: history (registeredAssociate, createdBy) still names them. */
export async function associatesByIds(sql: Sql, accountId: string, ids: readonly string[]): Promise<Associate[]> {
  const rows = await sql.all(`SELECT * FROM "Associate" WHERE ${sql.dialect.scope('"accountId"')} = ? AND ${sql.dialect.inList('"id"')}`, [
    accountId,
    ids,
  ]);
  return rows.map((r) => associateFromRow(sql.dialect, r));
}

export async function associateIdByEmail(sql: Sql, accountId: string, email: string): Promise<string | null> {
  return (
    (await sql.get<{ id: string }>(`SELECT "id" FROM "Associate" WHERE "accountId" = ? AND "email" = ?`, [accountId, email]))?.id ?? null
  );
}

/** The account's oldest admin. */
export async function firstAdmin(sql: Sql, accountId: string): Promise<Associate | null> {
  const r = await sql.get(
    `SELECT * FROM "Associate" WHERE "accountId" = ? AND "role" = 'ADMIN' AND "deletedAt" IS NULL ORDER BY "createdAt", "id" LIMIT 1`,
    [accountId],
  );
  return r ? associateFromRow(sql.dialect, r) : null;
}

/** Admins of the account other than `exceptId`, deleted ones left out. */
export async function otherAdminCount(sql: Sql, accountId: string, exceptId: string): Promise<number> {
  const r = await sql.get<{ n: number }>(
    `SELECT COUNT(*) AS "n" FROM "Associate" WHERE "accountId" = ? AND "role" = 'ADMIN' AND "deletedAt" IS NULL AND "id" <> ?`,
    [accountId, exceptId],
  );
  return Number(r?.n ?? 0);
}

export interface AssociatePatch {
  name?: string;
  email?: string;
  role?: Role;
  updatedAt: Date;
}

export async function updateAssociateRow(sql: Sql, accountId: string, id: string, p: AssociatePatch): Promise<Associate | null> {
  const r = await sql.get(
    `UPDATE "Associate" SET "name" = COALESCE(?, "name"), "email" = COALESCE(?, "email"), "role" = COALESCE(${sql.dialect.cast('?', 'Role')}, "role"), "updatedAt" = ?
     WHERE "accountId" = ? AND "id" = ? AND "deletedAt" IS NULL RETURNING *`,
    [p.name ?? null, p.email ?? null, p.role ?? null, p.updatedAt, accountId, id],
  );
  return r ? associateFromRow(sql.dialect, r) : null;
}

/**
 * Marks an associate deleted. The email goes ("deleted:<id>", which no input
 * can match), so the address can be given to someone new.
 */
export async function markAssociateDeleted(sql: Sql, accountId: string, id: string, at: Date): Promise<Associate | null> {
  const r = await sql.get(
    `UPDATE "Associate" SET "deletedAt" = ?, "updatedAt" = ?, "email" = 'deleted:' || "id"
     WHERE "accountId" = ? AND "id" = ? AND "deletedAt" IS NULL RETURNING *`,
    [at, at, accountId, id],
  );
  return r ? associateFromRow(sql.dialect, r) : null;
}

/** What an associate owns: webhooks, and API keys that act as them (unrevoked). */
export async function ownedBy(sql: Sql, accountId: string, associateId: string): Promise<{ webhooks: number; apiKeys: number }> {
  const r = await sql.get<{ webhooks: number; apiKeys: number }>(
    `SELECT (SELECT COUNT(*) FROM "Webhook" WHERE "accountId" = ? AND "ownerId" = ?) AS "webhooks",
            (SELECT COUNT(*) FROM "ApiKey" WHERE "accountId" = ? AND "associateId" = ? AND "revokedAt" IS NULL) AS "apiKeys"`,
    [accountId, associateId, accountId, associateId],
  );
  return { webhooks: Number(r?.webhooks ?? 0), apiKeys: Number(r?.apiKeys ?? 0) };
}

/** Hands `from`'s unrevoked API keys to `to`; returns their ids. */
export async function reassignApiKeys(sql: Sql, accountId: string, from: string, to: string): Promise<string[]> {
  const rows = await sql.all<{ id: string }>(
    `UPDATE "ApiKey" SET "associateId" = ? WHERE "accountId" = ? AND "associateId" = ? AND "revokedAt" IS NULL RETURNING "id"`,
    [to, accountId, from],
  );
  return rows.map((r) => r.id);
}

// ---- API keys

export function apiKeyFromRow(d: Dialect, r: Row): ApiKey {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    associateId: r.associateId as string,
    createdById: r.createdById as string,
    name: r.name as string,
    application: (r.application as string | null) ?? null,
    prefix: r.prefix as string,
    lastFour: r.lastFour as string,
    keyHash: r.keyHash as string,
    createdAt: d.date(r.createdAt),
    revokedAt: d.dateOrNull(r.revokedAt),
    lastUsedAt: d.dateOrNull(r.lastUsedAt),
  };
}

const API_KEY_COLUMNS = [
  'id',
  'accountId',
  'associateId',
  'createdById',
  'name',
  'application',
  'prefix',
  'lastFour',
  'keyHash',
  'createdAt',
  'revokedAt',
  'lastUsedAt',
] as const;

export async function insertApiKey(sql: Sql, k: ApiKey): Promise<void> {
  await sql.run(
    `INSERT INTO "ApiKey" (${API_KEY_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${API_KEY_COLUMNS.map(() => '?').join(', ')})`,
    API_KEY_COLUMNS.map((c) => k[c]),
  );
}

export async function listApiKeys(sql: Sql, accountId: string): Promise<ApiKey[]> {
  const rows = await sql.all(`SELECT * FROM "ApiKey" WHERE "accountId" = ? ORDER BY "createdAt" DESC, "id"`, [accountId]);
  return rows.map((r) => apiKeyFromRow(sql.dialect, r));
}

export async function findApiKey(sql: Sql, accountId: string, id: string): Promise<ApiKey | null> {
  const r = await sql.get(`SELECT * FROM "ApiKey" WHERE "accountId" = ? AND "id" = ?`, [accountId, id]);
  return r ? apiKeyFromRow(sql.dialect, r) : null;
}

export async function apiKeyExists(sql: Sql, keyHash: string): Promise<boolean> {
  return !!(await sql.get(`SELECT 1 AS "x" FROM "ApiKey" WHERE "keyHash" = ?`, [keyHash]));
}

export async function revokeApiKeyRow(sql: Sql, accountId: string, id: string, at: Date): Promise<ApiKey | null> {
  const r = await sql.get(`UPDATE "ApiKey" SET "revokedAt" = ? WHERE "accountId" = ? AND "id" = ? RETURNING *`, [at, accountId, id]);
  return r ? apiKeyFromRow(sql.dialect, r) : null;
}

export interface KeyOwner {
  apiKeyId: string;
  accountId: string;
  application: string | null;
  associateId: string;
  associateName: string;
  role: Role;
}

/** The live (unrevoked) key with this hash and who holds it: one indexed lookup. */
export function keyOwnerByHash(sql: Sql, keyHash: string): Promise<KeyOwner | undefined> {
  return sql.get<KeyOwner>(
    `SELECT k."id" AS "apiKeyId", k."accountId", k."application", a."id" AS "associateId", a."name" AS "associateName", a."role"
     FROM "ApiKey" k JOIN "Associate" a ON a."id" = k."associateId"
     WHERE k."keyHash" = ? AND k."revokedAt" IS NULL AND a."deletedAt" IS NULL`,
    [keyHash],
  );
}
