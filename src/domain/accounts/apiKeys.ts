import { newId } from '../../base/ids.js';
import { apiKeyHints, generateApiKey, hashApiKey } from '../../base/secrets.js';
import { fail, invalid, ok, type Result, type UserError } from '../../base/errors.js';
import { requireAdmin, requireApiKey, type Caller } from '../../base/caller.js';
import {
  findApiKey,
  findAssociate,
  insertApiKey,
  keyOwnerByHash,
  listApiKeys as listApiKeyRows,
  revokeApiKeyRow,
  type ApiKey,
} from '../../db/stores/accounts.js';
import { publishInTx } from '../../outbox/publish.js';
import type { Deps } from '../deps.js';

/**
 * Resolves a presented key to its caller, or null if unknown or revoked.
 * Runs on every request, so it is one indexed lookup.
 */
export async function authenticate(deps: Pick<Deps, 'sql' | 'caches'>, key: string): Promise<Caller | null> {
  const keyHash = hashApiKey(key);
  const now = Date.now();
  const cached = deps.caches.keys.get(keyHash, now);
  if (cached) return cached;
  const row = await keyOwnerByHash(deps.sql, keyHash);
  if (!row) return null;
  const caller: Caller = {
    accountId: row.accountId,
    associateId: row.associateId,
    associateName: row.associateName,
    role: row.role,
    apiKeyId: row.apiKeyId,
    application: row.application ?? null,
  };
  deps.caches.keys.set(keyHash, caller, now);
  return caller;
}

export interface CreateApiKeyInput {
  name: string;
  application?: string | null;
  associateId?: string | null;
}

export function listApiKeys(deps: Deps, caller: Caller): Promise<ApiKey[]> {
  return listApiKeyRows(deps.sql, caller.accountId);
}

export async function createApiKey(deps: Deps, caller: Caller, input: CreateApiKeyInput): Promise<Result<{ apiKey: ApiKey; key: string }>> {
  const denied = requireAdmin(caller) ?? requireApiKey(caller, 'create API keys');
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
  if (!(await findAssociate(deps.sql, caller.accountId, associateId))) {
    return fail('NOT_FOUND', `No associate with id "${associateId}" in your account`, ['input', 'associateId']);
  }
  const key = generateApiKey();
  const now = deps.clock.now();
  const apiKey: ApiKey = {
    id: newId(),
    accountId: caller.accountId,
    associateId,
    createdById: caller.associateId,
    name,
    application,
    keyHash: hashApiKey(key),
    ...apiKeyHints(key),
    createdAt: now,
    revokedAt: null,
    lastUsedAt: null,
  };
  await deps.sql.tx(async (tx) => {
    await insertApiKey(tx, apiKey);
    await publishInTx(
      tx,
      {
        accountId: caller.accountId,
        type: 'api_key.created',
        payload: { apiKey: { id: apiKey.id, name, application, associateId, prefix: apiKey.prefix } },
      },
      now,
    );
  });
  return ok({ apiKey, key });
}

export async function revokeApiKey(deps: Deps, caller: Caller, id: string): Promise<Result<ApiKey>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const existing = await findApiKey(deps.sql, caller.accountId, id);
  if (!existing) return fail('NOT_FOUND', `No API key with id "${id}"`, ['id']);
  if (existing.revokedAt) return ok(existing);
  const now = deps.clock.now();
  const revoked = await deps.sql.tx(async (tx) => {
    const row = (await revokeApiKeyRow(tx, caller.accountId, id, now))!;
    await publishInTx(
      tx,
      { accountId: caller.accountId, type: 'api_key.revoked', payload: { apiKey: { id, name: row.name, application: row.application } } },
      now,
    );
    tx.afterCommit('apiKey.revoked', { accountId: caller.accountId, apiKeyId: id });
    return row;
  });
  return ok(revoked);
}
