import { newId } from '../../base/ids.js';
import { fail, invalid, ok, type Result, type UserError } from '../../base/errors.js';
import { requireAdmin, type Caller } from '../../base/caller.js';
import { isUniqueViolation } from '../../db/errors.js';
import { associateIdByEmail, insertAssociate, listAssociates as listAssociateRows, type Associate } from '../../db/stores/accounts.js';
import type { Role } from '../../generated/prisma/enums.js';
import { publishInTx } from '../../outbox/publish.js';
import type { Deps } from '../deps.js';

export function listAssociates(deps: Deps, caller: Caller): Promise<Associate[]> {
  return listAssociateRows(deps.sql, caller.accountId);
}

export interface CreateAssociateInput {
  name: string;
  email: string;
  role: Role;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createAssociate(deps: Deps, caller: Caller, input: CreateAssociateInput): Promise<Result<Associate>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const name = input.name.trim();
  const email = input.email.trim().toLowerCase();
  const errors: UserError[] = [];
  if (!/[\p{L}\p{N}]/u.test(name) || name.length > 200) {
    errors.push(invalid(['input', 'name'], 'name must contain a letter or digit and be at most 200 characters'));
  }
  if (!EMAIL.test(email) || email.length > 320) errors.push(invalid(['input', 'email'], 'email is not a valid address'));
  if (errors.length) return { ok: false, errors };
  const emailTaken = () => fail('CONFLICT', `An associate with email ${email} already exists`, ['input', 'email']);
  if (await associateIdByEmail(deps.sql, caller.accountId, email)) return emailTaken();
  const now = deps.clock.now();
  const associate: Associate = { id: newId(), accountId: caller.accountId, name, email, role: input.role, createdAt: now, updatedAt: now };
  try {
    await deps.sql.tx(async (tx) => {
      await insertAssociate(tx, associate);
      await publishInTx(
        tx,
        {
          accountId: caller.accountId,
          type: 'associate.created',
          payload: { associate: { id: associate.id, name, email, role: associate.role } },
        },
        now,
      );
    });
  } catch (err) {
    // A concurrent request took the email between the check above and the insert.
    if (isUniqueViolation(err)) return emailTaken();
    throw err;
  }
  return ok(associate);
}
