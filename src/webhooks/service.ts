// Webhook management: every rule about who may change what lives here.
import { prisma } from '../db/client.js';
import { signal } from '../signal.js';
import { isUniqueViolation } from '../db/errors.js';
import { fail, ok, type Result, type UserError } from '../errors.js';
import { requireAdmin, type Caller } from '../auth/caller.js';
import { checkEventNames } from '../events/catalog.js';
import { publishInTx, wakeWorkers, type Tx } from '../dispatch/publish.js';
import { newId } from '../security/ids.js';
import { generateWebhookSecret } from '../security/secrets.js';
import { secretBox } from '../security/keyring.js';
import { config } from '../config.js';
import type { Prisma, Webhook, WebhookState } from '../generated/prisma/client.js';
import { checkHeaders, checkName, checkProperties, checkUrl, listedEvents, normaliseEvents } from './validation.js';

export interface CreateWebhookInput {
  name: string;
  targetUrl: string;
  events: string[];
  isActive?: boolean | null;
  headers?: unknown;
  properties?: unknown;
  isApplicationManaged?: boolean | null;
  ownerId?: string | null;
}

export interface UpdateWebhookInput {
  name?: string | null;
  targetUrl?: string | null;
  events?: string[] | null;
  headers?: unknown;
  properties?: unknown;
  ownerId?: string | null;
}

export const webhookDefaults = () => ({
  state: 'ACTIVE' as WebhookState,
  type: 'webhook',
  events: [] as string[],
  headers: {} as Record<string, string>,
  properties: {} as Record<string, unknown>,
  isActive: true,
});

/** The webhook as built-in events describe it: never the secret. */
export function webhookSummary(w: Webhook, events?: string[]) {
  return {
    id: w.id,
    name: w.name,
    targetUrl: w.targetUrl,
    state: w.state,
    stateReason: w.stateReason,
    ...(events ? { events } : {}),
    isApplicationManaged: w.isApplicationManaged,
    managingApplication: w.managingApplication,
    ownerId: w.ownerId,
  };
}

export function getWebhook(caller: Caller, id: string): Promise<Webhook | null> {
  return prisma.webhook.findFirst({ where: { id, accountId: caller.accountId } });
}

/** The webhook, if this caller may change it. */
async function loadForChange(caller: Caller, id: string): Promise<Result<Webhook>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const webhook = await getWebhook(caller, id);
  if (!webhook) return fail('NOT_FOUND', `No webhook with id "${id}"`, ['id']);
  const appDenied = checkManagingApplication(caller, webhook);
  return appDenied ?? ok(webhook);
}

function checkManagingApplication(caller: Caller, webhook: Webhook, field: string[] = ['id']): Result<never> | null {
  if (!webhook.isApplicationManaged || caller.application === webhook.managingApplication) return null;
  return fail(
    'FORBIDDEN',
    `Webhook "${webhook.name}" is managed by the application "${webhook.managingApplication}"; only that application's API keys can change it`,
    field,
  );
}

async function checkOwner(caller: Caller, ownerId: string, field: string[]): Promise<UserError[]> {
  const owner = await prisma.associate.findFirst({ where: { id: ownerId, accountId: caller.accountId }, select: { id: true } });
  return owner ? [] : [{ code: 'NOT_FOUND', message: `No associate with id "${ownerId}" in your account`, field }];
}

async function nameTaken(accountId: string, name: string, exceptId?: string): Promise<boolean> {
  const row = await prisma.webhook.findUnique({
    where: { accountId_nameKey: { accountId, nameKey: name.trim().toLowerCase() } },
    select: { id: true },
  });
  return !!row && row.id !== exceptId;
}

const conflictName = (name: string, field: string[]): UserError => ({
  code: 'CONFLICT',
  message: `A webhook named "${name.trim()}" already exists in this account (names are case-insensitive)`,
  field,
});

async function emit(tx: Tx, accountId: string, type: string, payload: Record<string, unknown>) {
  await publishInTx(tx, { accountId, type, payload });
}

export async function createWebhook(
  caller: Caller,
  input: CreateWebhookInput,
): Promise<Result<{ webhook: Webhook; secret: string }>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const f = (name: string) => ['input', name];
  const headers = input.headers ?? {};
  const properties = input.properties ?? {};
  const events = normaliseEvents(input.events);
  const targetUrl = input.targetUrl.trim();
  const errors: UserError[] = [
    ...checkName(input.name, f('name')),
    ...(await checkUrl(targetUrl, f('targetUrl'))),
    ...(await checkEventNames(caller.accountId, listedEvents(input.events), f('events'))),
    ...checkHeaders(headers, f('headers')),
    ...checkProperties(properties, f('properties')),
  ];
  if (input.isApplicationManaged && !caller.application) {
    errors.push({
      code: 'FORBIDDEN',
      message: 'Only an API key that names an application can create an application-managed webhook',
      field: f('isApplicationManaged'),
    });
  }
  // An empty ownerId is an unknown associate, not "default to the caller".
  if (input.ownerId != null) errors.push(...(await checkOwner(caller, input.ownerId, f('ownerId'))));
  if (errors.length) return { ok: false, errors };
  if (await nameTaken(caller.accountId, input.name)) return { ok: false, errors: [conflictName(input.name, f('name'))] };

  const secret = generateWebhookSecret();
  const now = new Date();
  const active = input.isActive ?? true;
  const id = newId();
  try {
    const webhook = await prisma.$transaction(async (tx) => {
      const row = await tx.webhook.create({
        data: {
          id,
          accountId: caller.accountId,
          name: input.name.trim(),
          nameKey: input.name.trim().toLowerCase(),
          targetUrl,
          state: active ? 'ACTIVE' : 'STOPPED',
          stateReason: active ? null : `Created inactive by ${caller.associateName}`,
          stateChangedAt: now,
          headers: headers as Prisma.InputJsonValue,
          properties: properties as Prisma.InputJsonValue,
          isApplicationManaged: !!input.isApplicationManaged,
          managingApplication: input.isApplicationManaged ? caller.application : null,
          ownerId: input.ownerId ?? caller.associateId,
          registeredAt: now,
          registeredById: caller.associateId,
          updatedAt: now,
          updatedById: caller.associateId,
          secretCiphertext: secretBox().encrypt(secret),
        },
      });
      await tx.webhookEvent.createMany({
        data: events.map((eventType) => ({ webhookId: id, accountId: caller.accountId, eventType })),
      });
      await emit(tx, caller.accountId, 'webhook.created', { webhook: webhookSummary(row, events) });
      return row;
    });
    wakeWorkers();
    return ok({ webhook, secret });
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, errors: [conflictName(input.name, f('name'))] };
    throw err;
  }
}

export async function updateWebhook(caller: Caller, id: string, input: UpdateWebhookInput): Promise<Result<Webhook>> {
  const loaded = await loadForChange(caller, id);
  if (!loaded.ok) return loaded;
  const current = loaded.value;
  const f = (name: string) => ['input', name];
  const events = input.events ? normaliseEvents(input.events) : null;
  const errors: UserError[] = [];
  if (input.name != null) errors.push(...checkName(input.name, f('name')));
  if (input.targetUrl != null) errors.push(...(await checkUrl(input.targetUrl.trim(), f('targetUrl'))));
  if (input.events) errors.push(...(await checkEventNames(caller.accountId, listedEvents(input.events), f('events'))));
  if (input.headers != null) errors.push(...checkHeaders(input.headers, f('headers')));
  if (input.properties != null) errors.push(...checkProperties(input.properties, f('properties')));
  if (input.ownerId != null) errors.push(...(await checkOwner(caller, input.ownerId, f('ownerId'))));
  if (errors.length) return { ok: false, errors };
  if (input.name != null && (await nameTaken(caller.accountId, input.name, id))) {
    return { ok: false, errors: [conflictName(input.name, f('name'))] };
  }
  const data: Prisma.WebhookUncheckedUpdateInput = { updatedAt: new Date(), updatedById: caller.associateId };
  if (input.name != null) Object.assign(data, { name: input.name.trim(), nameKey: input.name.trim().toLowerCase() });
  if (input.targetUrl != null) data.targetUrl = input.targetUrl.trim();
  if (input.headers != null) data.headers = input.headers as Prisma.InputJsonValue;
  if (input.properties != null) data.properties = input.properties as Prisma.InputJsonValue;
  if (input.ownerId != null) data.ownerId = input.ownerId;
  try {
    const webhook = await prisma.$transaction(async (tx) => {
      const row = await tx.webhook.update({ where: { id: current.id }, data });
      if (events) {
        await tx.webhookEvent.deleteMany({ where: { webhookId: id } });
        await tx.webhookEvent.createMany({ data: events.map((eventType) => ({ webhookId: id, accountId: caller.accountId, eventType })) });
      }
      await emit(tx, caller.accountId, 'webhook.updated', { webhook: webhookSummary(row, events ?? undefined) });
      return row;
    });
    wakeWorkers();
    return ok(webhook);
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, errors: [conflictName(input.name ?? '', f('name'))] };
    throw err;
  }
}

/**
 * Changes a webhook's state in `tx` and records `webhook.state_changed`.
 * Shared by the toggle mutation and the dispatcher's auto-disable.
 */
export async function changeStateInTx(
  tx: Tx,
  webhook: Webhook,
  state: WebhookState,
  reason: string,
  extra: Prisma.WebhookUncheckedUpdateInput = {},
): Promise<Webhook> {
  const row = await tx.webhook.update({
    where: { id: webhook.id },
    data: { state, stateReason: reason, stateChangedAt: new Date(), ...extra },
  });
  await emit(tx, webhook.accountId, 'webhook.state_changed', {
    webhook: webhookSummary(row),
    previousState: webhook.state,
  });
  return row;
}

/** Raised after a committed state change (the live subscription hooks in here). */
export const webhookStateChanged = signal<Webhook>();

export async function setWebhookActive(caller: Caller, id: string, active: boolean): Promise<Result<Webhook>> {
  const loaded = await loadForChange(caller, id);
  if (!loaded.ok) return loaded;
  const current = loaded.value;
  const target: WebhookState = active ? 'ACTIVE' : 'STOPPED';
  if (current.state === target) return ok(current);
  const reason = `${active ? 'Activated' : 'Deactivated'} by ${caller.associateName}`;
  const webhook = await prisma.$transaction(async (tx) => {
    const row = await changeStateInTx(tx, current, target, reason, {
      updatedAt: new Date(),
      updatedById: caller.associateId,
      // Re-activation starts the failure count afresh, so a recovered
      // receiver is not disabled again by its old failures.
      ...(active ? { consecutiveFailures: 0 } : {}),
    });
    if (active) {
      // Paused deliveries resume now rather than at their old retry time.
      await tx.delivery.updateMany({
        where: { webhookId: id, status: 'PENDING', nextAttemptAt: { gt: new Date() } },
        data: { nextAttemptAt: new Date() },
      });
    }
    return row;
  });
  webhookStateChanged.emit(webhook);
  wakeWorkers();
  return ok(webhook);
}

export async function deleteWebhook(caller: Caller, id: string): Promise<Result<string>> {
  const loaded = await loadForChange(caller, id);
  if (!loaded.ok) return loaded;
  await prisma.$transaction(async (tx) => {
    await tx.webhook.delete({ where: { id } });
    await emit(tx, caller.accountId, 'webhook.deleted', { webhook: webhookSummary(loaded.value) });
  });
  wakeWorkers();
  return ok(id);
}

export async function deleteWebhooksByUrl(caller: Caller, url: string): Promise<Result<string[]>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  if (!url) return fail('INVALID', 'url must not be empty', ['url']);
  const matches = await prisma.webhook.findMany({ where: { accountId: caller.accountId, targetUrl: url } });
  const locked = matches.map((w) => checkManagingApplication(caller, w, ['url'])).find((r) => r !== null);
  if (locked) return locked;
  if (matches.length === 0) return ok([]);
  await prisma.$transaction(async (tx) => {
    await tx.webhook.deleteMany({ where: { id: { in: matches.map((w) => w.id) }, accountId: caller.accountId } });
    for (const w of matches) await emit(tx, caller.accountId, 'webhook.deleted', { webhook: webhookSummary(w) });
  });
  wakeWorkers();
  return ok(matches.map((w) => w.id));
}

export async function rotateWebhookSecret(caller: Caller, id: string): Promise<Result<{ webhook: Webhook; secret: string }>> {
  const loaded = await loadForChange(caller, id);
  if (!loaded.ok) return loaded;
  const secret = generateWebhookSecret();
  const now = new Date();
  const webhook = await prisma.$transaction(async (tx) => {
    const row = await tx.webhook.update({
      where: { id },
      data: {
        secretCiphertext: secretBox().encrypt(secret),
        // The old secret keeps signing alongside the new one for the grace period.
        previousSecretCiphertext: loaded.value.secretCiphertext,
        previousSecretExpiresAt: new Date(now.getTime() + config().secretRotationGraceMs),
        updatedAt: now,
        updatedById: caller.associateId,
      },
    });
    await emit(tx, caller.accountId, 'webhook.updated', { webhook: webhookSummary(row), secretRotated: true });
    return row;
  });
  wakeWorkers();
  return ok({ webhook, secret });
}

/** The secrets a delivery is signed with now: the current one, then any still in grace. */
export function signingSecrets(webhook: Pick<Webhook, 'secretCiphertext' | 'previousSecretCiphertext' | 'previousSecretExpiresAt'>, now = new Date()): string[] {
  const box = secretBox();
  const secrets = [box.decrypt(webhook.secretCiphertext)];
  if (webhook.previousSecretCiphertext && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now) {
    secrets.push(box.decrypt(webhook.previousSecretCiphertext));
  }
  return secrets;
}

