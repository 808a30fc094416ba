// Accounts (tenants) and their first admin. Used by the admin command and by
// the BOOTSTRAP_API_KEY start-up step.
import { prisma } from '../db/client.js';
import { newId } from '../security/ids.js';
import { apiKeyHints, generateApiKey, hashApiKey } from '../security/secrets.js';

export interface NewAccount {
  accountId: string;
  associateId: string;
  apiKey: string;
}

export class AccountExistsError extends Error {}

async function insertAccount(name: string, apiKey: string): Promise<NewAccount> {
  const accountId = newId();
  const associateId = newId();
  await prisma.$transaction(async (tx) => {
    await tx.account.create({ data: { id: accountId, name } });
    await tx.associate.create({
      data: { id: associateId, accountId, name: 'Admin', email: `admin@${name}.invalid`, role: 'ADMIN' },
    });
    await tx.apiKey.create({
      data: {
        id: newId(),
        accountId,
        associateId,
        createdById: associateId,
        name: 'Initial admin key',
        keyHash: hashApiKey(apiKey),
        ...apiKeyHints(apiKey),
      },
    });
  });
  return { accountId, associateId, apiKey };
}

export async function createAccount(name: string): Promise<NewAccount> {
  const trimmed = name.trim();
  if (!/[A-Za-z0-9]/.test(trimmed) || trimmed.length > 100) {
    throw new Error('An account name needs a letter or digit and at most 100 characters');
  }
  if (await prisma.account.findUnique({ where: { name: trimmed } })) {
    throw new AccountExistsError(`An account named "${trimmed}" already exists`);
  }
  return insertAccount(trimmed, generateApiKey());
}

/**
 * Makes sure the `default` account exists with an admin holding `apiKey`.
 * Idempotent, and safe when several instances start together.
 */
export async function ensureBootstrapAccount(apiKey: string): Promise<void> {
  const keyHash = hashApiKey(apiKey);
  if (await prisma.apiKey.findUnique({ where: { keyHash }, select: { id: true } })) return;
  const account = await prisma.account.findUnique({ where: { name: 'default' } });
  if (!account) {
    try {
      await insertAccount('default', apiKey);
    } catch (err) {
      // Another instance won the race; its row has the same key.
      if (!(await prisma.apiKey.findUnique({ where: { keyHash } }))) throw err;
    }
    return;
  }
  const admin = await prisma.associate.findFirst({
    where: { accountId: account.id, role: 'ADMIN' },
    orderBy: { createdAt: 'asc' },
  });
  const associateId = admin?.id ?? newId();
  if (!admin) {
    await prisma.associate.create({
      data: { id: associateId, accountId: account.id, name: 'Admin', email: 'admin@default.invalid', role: 'ADMIN' },
    });
  }
  await prisma.apiKey.create({
    data: {
      id: newId(),
      accountId: account.id,
      associateId,
      createdById: associateId,
      name: 'Bootstrap key',
      keyHash,
      ...apiKeyHints(apiKey),
    },
  });
}
