import { prisma } from '../db/client.js';
import { signal } from '../signal.js';
import { fail, invalid, ok, type Result, type UserError } from '../errors.js';
import { requireAdmin, type Caller } from '../auth/caller.js';
import { publishInTx, wakeWorkers } from '../dispatch/publish.js';
import { newId } from '../security/ids.js';
import { apiKeyHints, generateApiKey, hashApiKey } from '../security/secrets.js';
import type { ApiKey, Role } from '../generated/prisma/client.js';
import { Params } from '../db/sql.js';

/**
 * Resolves a presented key to its caller, or null if unknown or revoked.
 * Runs on every request, so it is one hand-written indexed lookup.
 */
export async function authenticate(key: string): Promise<Caller | null> {
  const p = new Params();
  const rows = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(
    `SELECT k."id", k."accountId", k."application", a."id" AS "associateId", a."name", a."role"
     FROM "ApiKey" k JOIN "Associate" a ON a."id" = k."associateId"
     WHERE k."keyHash" = ${p.v(hashApiKey(key))} AND k."revokedAt" IS NULL`,
    ...p.values,
  );
  const row = rows[0];
  if (!row) return null;
  return {
    accountId: String(row.accountId),
    associateId: String(row.associateId),
    associateName: String(row.name),
    role: row.role as Role,
    apiKeyId: String(row.id),
    application: (row.application as string | null) ?? null,
  };
}

export interface CreateApiKeyInput {
  name: string;
  application?: string | null;
  associateId?: string | null;
}

export function listApiKeys(caller: Caller): Promise<ApiKey[]> {
  return prisma.apiKey.findMany({ where: { accountId: caller.accountId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
}

export async function createApiKey(
  caller: Caller,
  input: CreateApiKeyInput,
): Promise<Result<{ apiKey: ApiKey; key: string }>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const name = input.name.trim();
  const application = input.application?.trim() || null;
  const errors: UserError[] = [];
  if (!name || name.length > 200) errors.push(invalid(['input', 'name'], 'name must be 1 to 200 characters'));
  if (application && application.length > 200) {
    errors.push(invalid(['input', 'application'], 'application must be at most 200 characters'));
  }
  if (errors.length) return { ok: false, errors };
  const associateId = input.associateId ?? caller.associateId;
  const owner = await prisma.associate.findFirst({ where: { id: associateId, accountId: caller.accountId } });
  if (!owner) return fail('NOT_FOUND', `No associate with id "${associateId}" in your account`, ['input', 'associateId']);
  const key = generateApiKey();
  const apiKey = await prisma.$transaction(async (tx) => {
    const created = await tx.apiKey.create({
      data: {
        id: newId(),
        accountId: caller.accountId,
        associateId,
        createdById: caller.associateId,
        name,
        application,
        keyHash: hashApiKey(key),
        ...apiKeyHints(key),
      },
    });
    await publishInTx(tx, {
      accountId: caller.accountId,
      type: 'api_key.created',
      payload: { apiKey: { id: created.id, name, application, associateId, prefix: created.prefix } },
    });
    return created;
  });
  wakeWorkers();
  return ok({ apiKey, key });
}

/** Raised with the key's id after a revocation commits; open subscriptions end on it. */
export const apiKeyRevoked = signal<string>();

export async function revokeApiKey(caller: Caller, id: string): Promise<Result<ApiKey>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const existing = await prisma.apiKey.findFirst({ where: { id, accountId: caller.accountId } });
  if (!existing) return fail('NOT_FOUND', `No API key with id "${id}"`, ['id']);
  if (existing.revokedAt) return ok(existing);
  const revoked = await prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    await publishInTx(tx, {
      accountId: caller.accountId,
      type: 'api_key.revoked',
      payload: { apiKey: { id, name: row.name, application: row.application } },
    });
    return row;
  });
  wakeWorkers();
  apiKeyRevoked.emit(id);
  return ok(revoked);
}
