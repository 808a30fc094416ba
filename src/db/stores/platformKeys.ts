// Platform-level keys: they belong to no account (see domain/accounts/platformKeys.ts).
import type { PlatformKey } from '../../generated/prisma/client.js';
import type { Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';

export type { PlatformKey };

function fromRow(d: Dialect, r: Row): PlatformKey {
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    lastFour: r.lastFour as string,
    keyHash: r.keyHash as string,
    createdAt: d.date(r.createdAt),
    revokedAt: d.dateOrNull(r.revokedAt),
  };
}

const COLUMNS = ['id', 'name', 'prefix', 'lastFour', 'keyHash', 'createdAt', 'revokedAt'] as const satisfies readonly (keyof PlatformKey)[];

export async function insertPlatformKey(sql: Sql, k: PlatformKey): Promise<void> {
  await sql.run(
    `INSERT INTO "PlatformKey" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
    COLUMNS.map((c) => k[c]),
  );
}

/** The unrevoked key with this hash: one indexed lookup. */
export async function livePlatformKeyByHash(sql: Sql, keyHash: string): Promise<PlatformKey | null> {
  const r = await sql.get(`SELECT * FROM "PlatformKey" WHERE "keyHash" = ? AND "revokedAt" IS NULL`, [keyHash]);
  return r ? fromRow(sql.dialect, r) : null;
}

export async function revokePlatformKeyRow(sql: Sql, id: string, at: Date): Promise<PlatformKey | null> {
  const r = await sql.get(`UPDATE "PlatformKey" SET "revokedAt" = COALESCE("revokedAt", ?) WHERE "id" = ? RETURNING *`, [at, id]);
  return r ? fromRow(sql.dialect, r) : null;
}

export async function listPlatformKeys(sql: Sql): Promise<PlatformKey[]> {
  const rows = await sql.all(`SELECT * FROM "PlatformKey" ORDER BY "createdAt", "id"`);
  return rows.map((r) => fromRow(sql.dialect, r));
}
