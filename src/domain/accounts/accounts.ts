// Accounts (tenants) and their first admin. Made by the admin command, the
// BOOTSTRAP_API_KEY start-up step, and createAccount with a platform key;
// an account's admins read and rename their own.
import { newId } from '../../base/ids.js';
import { fail, invalid, ok, type Result, type UserError } from '../../base/errors.js';
import { requireAdmin, type Caller, type PlatformCaller } from '../../base/caller.js';
import { apiKeyHints, generateApiKey, hashApiKey } from '../../base/secrets.js';
import { isUniqueViolation } from '../../db/errors.js';
import {
  accountIdByName,
  apiKeyExists,
  findAccount,
  firstAdmin,
  insertAccount,
  insertApiKey,
  insertAssociate,
  renameAccount,
  type Account,
  type ApiKey,
  type Associate,
} from '../../db/stores/accounts.js';
import type { Sql } from '../../db/sql.js';
import type { Deps } from '../deps.js';

export interface NewAccount {
  accountId: string;
  associateId: string;
  apiKey: string;
}

export class AccountExistsError extends Error {}

function keyRow(accountId: string, associateId: string, name: string, apiKey: string, at: Date): ApiKey {
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

interface Provisioned {
  account: Account;
  associate: Associate;
  apiKey: ApiKey;
}

async function insertAccountWithAdmin(
  deps: Pick<Deps, 'sql' | 'clock'>,
  name: string,
  apiKey: string,
  keyName: string,
  admin: { name: string; email: string } = { name: 'Admin', email: `admin@${name}.invalid` },
): Promise<Provisioned> {
  const at = deps.clock.now();
  const account: Account = { id: newId(), name, createdAt: at };
  const associate: Associate = {
    id: newId(),
    accountId: account.id,
    ...admin,
    role: 'ADMIN',
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
  };
  const key = keyRow(account.id, associate.id, keyName, apiKey, at);
  await deps.sql.tx(async (tx) => {
    await insertAccount(tx, account);
    await insertAssociate(tx, associate);
    await insertApiKey(tx, key);
  });
  return { account, associate, apiKey: key };
}

/** Why an account name is refused, or null. */
function accountNameProblem(name: string): string | null {
  return /[A-Za-z0-9]/.test(name) && name.length <= 100 ? null : 'An account name needs a letter or digit and at most 100 characters';
}

// Account names are unique across the service; the message says only that
// this one is taken, not whose it is.
const nameTaken = (name: string, field: string[]) => fail('CONFLICT', `The account name "${name}" is taken`, field);

/** The admin command's: throws with a one-line message on bad input. */
export async function createAccount(deps: Deps, name: string): Promise<NewAccount> {
  const trimmed = name.trim();
  const problem = accountNameProblem(trimmed);
  if (problem) throw new Error(problem);
  if (await accountIdByName(deps.sql, trimmed)) throw new AccountExistsError(`An account named "${trimmed}" already exists`);
  const apiKey = generateApiKey();
  try {
    const made = await insertAccountWithAdmin(deps, trimmed, apiKey, 'Initial admin key');
    return { accountId: made.account.id, associateId: made.associate.id, apiKey };
  } catch (err) {
    if (isUniqueViolation(err)) throw new AccountExistsError(`An account named "${trimmed}" already exists`);
    throw err;
  }
}

export interface ProvisionAccountInput {
  name: string;
  adminName?: string | null;
  adminEmail?: string | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * createAccount over the API, for a platform-level key: the account, its
 * first ADMIN and that admin's API key (returned once), in one transaction.
 */
export async function provisionAccount(
  deps: Deps,
  platform: PlatformCaller,
  input: ProvisionAccountInput,
): Promise<Result<Provisioned & { key: string }>> {
  const name = input.name.trim();
  const adminName = input.adminName?.trim() || 'Admin';
  // Emails are kept lower-cased, as createAssociate keeps them.
  const adminEmail = (input.adminEmail?.trim() || `admin@${name.replace(/[^A-Za-z0-9.-]+/g, '-')}.invalid`).toLowerCase();
  const errors: UserError[] = [];
  const problem = accountNameProblem(name);
  if (problem) errors.push(invalid(['input', 'name'], problem));
  if (!/[\p{L}\p{N}]/u.test(adminName) || adminName.length > 200) {
    errors.push(invalid(['input', 'adminName'], 'adminName must contain a letter or digit and be at most 200 characters'));
  }
  if (!EMAIL.test(adminEmail) || adminEmail.length > 320)
    errors.push(invalid(['input', 'adminEmail'], 'adminEmail is not a valid address'));
  if (errors.length) return { ok: false, errors };
  if (await accountIdByName(deps.sql, name)) return nameTaken(name, ['input', 'name']);
  const key = generateApiKey();
  try {
    const made = await insertAccountWithAdmin(deps, name, key, `Initial admin key (platform key ${platform.name})`, {
      name: adminName,
      email: adminEmail,
    });
    deps.logger.info({ accountId: made.account.id, platformKeyId: platform.platformKeyId }, 'account created with a platform key');
    return ok({ ...made, key });
  } catch (err) {
    if (isUniqueViolation(err)) return nameTaken(name, ['input', 'name']);
    throw err;
  }
}

/** The caller's own account. */
export async function getAccount(deps: Pick<Deps, 'sql'>, caller: Caller): Promise<Account> {
  return (await findAccount(deps.sql, caller.accountId))!;
}

export async function updateAccount(deps: Deps, caller: Caller, input: { name?: string | null }): Promise<Result<Account>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  if (input.name == null) return ok(await getAccount(deps, caller));
  const name = input.name.trim();
  const problem = accountNameProblem(name);
  if (problem) return fail('INVALID', problem, ['input', 'name']);
  const holder = await accountIdByName(deps.sql, name);
  if (holder && holder !== caller.accountId) return nameTaken(name, ['input', 'name']);
  try {
    return ok((await renameAccount(deps.sql, caller.accountId, name))!);
  } catch (err) {
    if (isUniqueViolation(err)) return nameTaken(name, ['input', 'name']);
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
