// Accounts (tenants) and their first admin. Used by the admin command and by
// the BOOTSTRAP_API_KEY start-up step.
import { newId } from '../../base/ids.js';
import { apiKeyHints, generateApiKey, hashApiKey } from '../../base/secrets.js';
import { isUniqueViolation } from '../../db/errors.js';
import { accountIdByName, apiKeyExists, firstAdmin, insertAccount, insertApiKey, insertAssociate } from '../../db/stores/accounts.js';
import type { Sql } from '../../db/sql.js';
import type { Deps } from '../deps.js';

export interface NewAccount {
  accountId: string;
  associateId: string;
  apiKey: string;
}

export class AccountExistsError extends Error {}

function keyRow(accountId: string, associateId: string, name: string, apiKey: string, at: Date) {
  return {
    id: newId(),
    accountId,
    associateId,
    createdById: associateId,
    name,
    application: null,
    keyHash: hashApiKey(apiKey),
    ...apiKeyHints(apiKey),
    createdAt: at,
    revokedAt: null,
    lastUsedAt: null,
  };
}

async function insertAccountWithAdmin(deps: Deps, name: string, apiKey: string, keyName: string): Promise<NewAccount> {
  const accountId = newId();
  const associateId = newId();
  const at = deps.clock.now();
  await deps.sql.tx(async (tx) => {
    await insertAccount(tx, { id: accountId, name, createdAt: at });
    await insertAssociate(tx, {
      id: associateId,
      accountId,
      name: 'Admin',
      email: `admin@${name}.invalid`,
      role: 'ADMIN',
      createdAt: at,
      updatedAt: at,
    });
    await insertApiKey(tx, keyRow(accountId, associateId, keyName, apiKey, at));
  });
  return { accountId, associateId, apiKey };
}

export async function createAccount(deps: Deps, name: string): Promise<NewAccount> {
  const trimmed = name.trim();
  if (!/[A-Za-z0-9]/.test(trimmed) || trimmed.length > 100) {
    throw new Error('An account name needs a letter or digit and at most 100 characters');
  }
  if (await accountIdByName(deps.sql, trimmed)) throw new AccountExistsError(`An account named "${trimmed}" already exists`);
  try {
    return await insertAccountWithAdmin(deps, trimmed, generateApiKey(), 'Initial admin key');
  } catch (err) {
    if (isUniqueViolation(err)) throw new AccountExistsError(`An account named "${trimmed}" already exists`);
    throw err;
  }
}

/**
 * Makes sure the `default` account exists with an admin holding `apiKey`.
 * Idempotent, and safe when several instances start together.
 */
export async function ensureBootstrapAccount(deps: Deps, apiKey: string): Promise<void> {
  const sql: Sql = deps.sql;
  const keyHash = hashApiKey(apiKey);
  if (await apiKeyExists(sql, keyHash)) return;
  const accountId = await accountIdByName(sql, 'default');
  if (!accountId) {
    try {
      await insertAccountWithAdmin(deps, 'default', apiKey, 'Bootstrap key');
    } catch (err) {
      // Another instance won the race; its row has the same key.
      if (!(await apiKeyExists(sql, keyHash))) throw err;
    }
    return;
  }
  const at = deps.clock.now();
  try {
    await sql.tx(async (tx) => {
      const admin = await firstAdmin(tx, accountId);
      const associateId = admin?.id ?? newId();
      if (!admin) {
        await insertAssociate(tx, {
          id: associateId,
          accountId,
          name: 'Admin',
          email: 'admin@default.invalid',
          role: 'ADMIN',
          createdAt: at,
          updatedAt: at,
        });
      }
      await insertApiKey(tx, keyRow(accountId, associateId, 'Bootstrap key', apiKey, at));
    });
  } catch (err) {
    // Another instance created the account (with this key) between the checks above and this insert.
    if (!(await apiKeyExists(sql, keyHash))) throw err;
  }
}
