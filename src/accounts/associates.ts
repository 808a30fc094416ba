import { prisma } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { fail, invalid, ok, type Result, type UserError } from '../errors.js';
import { requireAdmin, type Caller } from '../auth/caller.js';
import { publishInTx, wakeWorkers } from '../dispatch/publish.js';
import { newId } from '../security/ids.js';
import type { Associate, Role } from '../generated/prisma/client.js';

export function listAssociates(caller: Caller): Promise<Associate[]> {
  return prisma.associate.findMany({ where: { accountId: caller.accountId }, orderBy: [{ name: 'asc' }, { id: 'asc' }] });
}

export interface CreateAssociateInput {
  name: string;
  email: string;
  role: Role;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createAssociate(caller: Caller, input: CreateAssociateInput): Promise<Result<Associate>> {
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
  const taken = await prisma.associate.findUnique({ where: { accountId_email: { accountId: caller.accountId, email } } });
  const emailTaken = () => fail('CONFLICT', `An associate with email ${email} already exists`, ['input', 'email']);
  if (taken) return emailTaken();
  let associate: Associate;
  try {
    associate = await prisma.$transaction(async (tx) => {
      const row = await tx.associate.create({
        data: { id: newId(), accountId: caller.accountId, name, email, role: input.role },
      });
      await publishInTx(tx, {
        accountId: caller.accountId,
        type: 'associate.created',
        payload: { associate: { id: row.id, name, email, role: row.role } },
      });
      return row;
    });
  } catch (err) {
    // A concurrent request took the email between the check above and the insert.
    if (isUniqueViolation(err)) return emailTaken();
    throw err;
  }
  wakeWorkers();
  return ok(associate);
}
