// Associates: the people (and application users) of an account. Every change
// commits with the built-in event that describes it, and an account always
// keeps at least one ADMIN.
import { newId } from '../../base/ids.js';
import { fail, invalid, ok, type Result, type UserError } from '../../base/errors.js';
import { requireAdmin, type Caller } from '../../base/caller.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Tx } from '../../db/sql.js';
import {
  associateIdByEmail,
  findAssociate,
  insertAssociate,
  listAssociates as listAssociateRows,
  lockAccount,
  markAssociateDeleted,
  otherAdminCount,
  ownedBy,
  reassignApiKeys,
  updateAssociateRow,
  type Associate,
} from '../../db/stores/accounts.js';
import { revokeLinksCreatedBy } from '../../db/stores/consoleLinks.js';
import { reassignWebhookOwner } from '../../db/stores/webhooks.js';
import type { Role } from '../../generated/prisma/enums.js';
import { publishInTx } from '../../outbox/publish.js';
import { webhookSummary } from '../../outbox/webhookState.js';
import type { Deps } from '../deps.js';

export function listAssociates(deps: Deps, caller: Caller): Promise<Associate[]> {
  return listAssociateRows(deps.sql, caller.accountId);
}

export interface CreateAssociateInput {
  name: string;
  email: string;
  role: Role;
}

export interface UpdateAssociateInput {
  name?: string | null;
  email?: string | null;
  role?: Role | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkName(name: string): UserError[] {
  return /[\p{L}\p{N}]/u.test(name) && name.length <= 200
    ? []
    : [invalid(['input', 'name'], 'name must contain a letter or digit and be at most 200 characters')];
}

function checkEmail(email: string): UserError[] {
  return EMAIL.test(email) && email.length <= 320 ? [] : [invalid(['input', 'email'], 'email is not a valid address')];
}

const emailTaken = (email: string) => fail('CONFLICT', `An associate with email ${email} already exists`, ['input', 'email']);

/** The associate as built-in events describe them. */
const summary = (a: Associate) => ({ id: a.id, name: a.name, email: a.email, role: a.role });

const LAST_ADMIN = 'An account must keep at least one ADMIN: make another associate ADMIN first';

function emit(tx: Tx, deps: Deps, accountId: string, type: string, payload: Record<string, unknown>) {
  return publishInTx(tx, { accountId, type, payload }, deps.clock.now());
}

export async function createAssociate(deps: Deps, caller: Caller, input: CreateAssociateInput): Promise<Result<Associate>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const name = input.name.trim();
  const email = input.email.trim().toLowerCase();
  const errors = [...checkName(name), ...checkEmail(email)];
  if (errors.length) return { ok: false, errors };
  if (await associateIdByEmail(deps.sql, caller.accountId, email)) return emailTaken(email);
  const now = deps.clock.now();
  const associate: Associate = {
    id: newId(),
    accountId: caller.accountId,
    name,
    email,
    role: input.role,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  try {
    await deps.sql.tx(async (tx) => {
      await insertAssociate(tx, associate);
      await emit(tx, deps, caller.accountId, 'associate.created', { associate: summary(associate) });
    });
  } catch (err) {
    // A concurrent request took the email between the check above and the insert.
    if (isUniqueViolation(err)) return emailTaken(email);
    throw err;
  }
  return ok(associate);
}

/**
 * Changes name, email or role. Records associate.updated, and role.changed
 * when the role changes; an ADMIN becomes MEMBER only while another ADMIN
 * remains. The associate's keys and links act with the new role from the
 * next request on, on every instance.
 */
export async function updateAssociate(deps: Deps, caller: Caller, id: string, input: UpdateAssociateInput): Promise<Result<Associate>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const current = await findAssociate(deps.sql, caller.accountId, id);
  if (!current) return fail('NOT_FOUND', `No associate with id "${id}"`, ['id']);
  const name = input.name?.trim();
  const email = input.email?.trim().toLowerCase();
  const errors = [...(name != null ? checkName(name) : []), ...(email != null ? checkEmail(email) : [])];
  if (errors.length) return { ok: false, errors };
  if (email != null && email !== current.email) {
    const holder = await associateIdByEmail(deps.sql, caller.accountId, email);
    if (holder && holder !== id) return emailTaken(email);
  }
  const demoted = current.role === 'ADMIN' && input.role === 'MEMBER';
  try {
    const updated = await deps.sql.tx(async (tx) => {
      if (demoted) {
        // Checked in the transaction, the account locked: two admins
        // demoting each other at once cannot leave it with none.
        await lockAccount(tx, caller.accountId);
        if ((await otherAdminCount(tx, caller.accountId, id)) === 0) return null;
      }
      const row = await updateAssociateRow(tx, caller.accountId, id, {
        name,
        email,
        role: input.role ?? undefined,
        updatedAt: deps.clock.now(),
      });
      if (!row) return undefined;
      const previous = { name: current.name, email: current.email, role: current.role };
      await emit(tx, deps, caller.accountId, 'associate.updated', { associate: summary(row), previous });
      if (row.role !== current.role) {
        await emit(tx, deps, caller.accountId, 'role.changed', { associate: summary(row), previousRole: current.role });
      }
      tx.afterCommit('associate.changed', { accountId: caller.accountId, associateId: id });
      return row;
    });
    if (updated === null) return fail('CONFLICT', LAST_ADMIN, ['input', 'role']);
    // Deleted between the read above and the update.
    if (updated === undefined) return fail('NOT_FOUND', `No associate with id "${id}"`, ['id']);
    return ok(updated);
  } catch (err) {
    if (isUniqueViolation(err)) return emailTaken(email ?? '');
    throw err;
  }
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Deletes an associate. The webhooks they own and the API keys that act as
 * them go to `reassignTo` (refused with CONFLICT if they own any and it is
 * not given); console links they made are revoked. The row stays, marked
 * deleted with its email cleared, so history (registeredAssociate, a key's
 * createdBy) still names them. The last ADMIN cannot be deleted.
 */
export async function deleteAssociate(
  deps: Deps,
  caller: Caller,
  id: string,
  reassignTo?: string | null,
): Promise<Result<{ associate: Associate; reassignedWebhookIds: string[]; reassignedApiKeyIds: string[] }>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const target = await findAssociate(deps.sql, caller.accountId, id);
  if (!target) return fail('NOT_FOUND', `No associate with id "${id}"`, ['id']);
  if (reassignTo != null) {
    if (reassignTo === id) return fail('INVALID', 'reassignTo must be another associate than the one deleted', ['reassignTo']);
    if (!(await findAssociate(deps.sql, caller.accountId, reassignTo))) {
      return fail('NOT_FOUND', `No associate with id "${reassignTo}" in your account`, ['reassignTo']);
    }
  }
  const now = deps.clock.now();
  const outcome = await deps.sql.tx(async (tx) => {
    await lockAccount(tx, caller.accountId);
    if (target.role === 'ADMIN' && (await otherAdminCount(tx, caller.accountId, id)) === 0) {
      return fail('CONFLICT', `${target.name} is the account's last ADMIN. ${LAST_ADMIN}`, ['id']);
    }
    const owned = await ownedBy(tx, caller.accountId, id);
    if ((owned.webhooks || owned.apiKeys) && reassignTo == null) {
      const what = [
        owned.webhooks ? plural(owned.webhooks, 'webhook', 'webhooks') : '',
        owned.apiKeys ? plural(owned.apiKeys, 'API key', 'API keys') : '',
      ].filter(Boolean);
      return fail(
        'CONFLICT',
        `${target.name} owns ${what.join(' and ')}; pass reassignTo with the id of the associate who takes them over`,
        ['reassignTo'],
      );
    }
    const webhooks = reassignTo ? await reassignWebhookOwner(tx, caller.accountId, id, reassignTo, now, caller.associateId) : [];
    const apiKeyIds = reassignTo ? await reassignApiKeys(tx, caller.accountId, id, reassignTo) : [];
    const linkIds = await revokeLinksCreatedBy(tx, caller.accountId, id, now);
    const deleted = await markAssociateDeleted(tx, caller.accountId, id, now);
    if (!deleted) return fail('NOT_FOUND', `No associate with id "${id}"`, ['id']);
    for (const w of webhooks) {
      tx.afterCommit('webhook.changed', { id: w.id });
      await emit(tx, deps, caller.accountId, 'webhook.updated', { webhook: webhookSummary(w) });
    }
    await emit(tx, deps, caller.accountId, 'associate.deleted', {
      associate: { id, name: target.name, email: target.email, role: target.role },
      reassignedTo: reassignTo ?? null,
      reassignedWebhookIds: webhooks.map((w) => w.id),
      reassignedApiKeyIds: apiKeyIds,
    });
    // Their links stop working and their open streams end, as on revocation.
    for (const linkId of linkIds) tx.afterCommit('apiKey.revoked', { accountId: caller.accountId, apiKeyId: linkId });
    tx.afterCommit('associate.changed', { accountId: caller.accountId, associateId: id });
    return ok({ associate: deleted, reassignedWebhookIds: webhooks.map((w) => w.id), reassignedApiKeyIds: apiKeyIds });
  });
  return outcome;
}
