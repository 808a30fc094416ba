// Webhook management: every rule about who may change what lives here.
// Each change commits with the built-in event that describes it.
import { newId } from '../../base/ids.js';
import { fail, ok, type Result, type UserError } from '../../base/errors.js';
import { requireAdmin, type Caller } from '../../base/caller.js';
import { markedNames, sealHeaders, type HeaderMap } from '../../base/customHeaders.js';
import { generateWebhookSecret } from '../../base/secrets.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Tx } from '../../db/sql.js';
import { findAssociate } from '../../db/stores/accounts.js';
import { resumePaused } from '../../db/stores/deliveries.js';
import {
  deleteWebhooks,
  findWebhook,
  findWebhooksByUrl,
  insertWebhook,
  isGated,
  replaceWebhookEvents,
  rotateWebhookSecretRow,
  updateWebhookFields,
  webhookIdByName,
  type Webhook,
} from '../../db/stores/webhooks.js';
import type { WebhookState } from '../../generated/prisma/client.js';
import { publishInTx } from '../../outbox/publish.js';
import { changeStateInTx, webhookSummary } from '../../outbox/webhookState.js';
import { checkEventNames } from '../catalog.js';
import { checkManagingApplication, webhookForChange } from './access.js';
import type { Deps } from '../deps.js';
import { openWebhookHeaders } from './headers.js';
import { checkWebhookChannels, checkWebhookFilter, type RoutingCheck } from './routing.js';
import { checkPolicy, effectiveDefaults, POLICY_FIELDS, type PolicyInput } from './deliveryPolicy.js';
import type { Config } from '../../base/config.js';
import {
  checkName,
  checkProperties,
  checkSecret,
  checkType,
  checkUrl,
  listedEvents,
  normaliseEvents,
  resolveHeaders,
  resolveSensitiveMarks,
  type HeadersCheck,
  type MarksCheck,
} from './validation.js';

export interface CreateWebhookInput extends PolicyInput {
  name: string;
  targetUrl: string;
  events: string[];
  isActive?: boolean | null;
  headers?: unknown;
  /** Header names to mask besides those sensitive by name (see src/base/customHeaders.ts). */
  sensitiveHeaders?: string[] | null;
  properties?: unknown;
  isApplicationManaged?: boolean | null;
  ownerId?: string | null;
  /** The caller's own signing secret (SuperOffice's "shared secret key"); generated when left out. */
  secret?: string | null;
  /** The handler's name; "webhook" when left out. */
  type?: string | null;
  /** Channels it listens on; none: every channel. */
  channels?: string[] | null;
  /** A content filter (src/base/payloadFilter.ts); none: every payload. */
  filter?: unknown;
}

export interface UpdateWebhookInput extends PolicyInput {
  name?: string | null;
  targetUrl?: string | null;
  events?: string[] | null;
  /** Replaces every custom header; "********" keeps a saved value (see resolveHeaders). */
  headers?: unknown;
  /** Adds sensitive marks (see resolveSensitiveMarks). */
  sensitiveHeaders?: string[] | null;
  properties?: unknown;
  ownerId?: string | null;
  type?: string | null;
  /** WhautoChat's PUT carries `active`: the same change as setWebhookActive, in the same transaction. */
  isActive?: boolean | null;
  /** Replaces the channels; [] listens on every channel again; null or absent leaves them. */
  channels?: string[] | null;
  /** Replaces the filter; null (or {}) removes it; absent leaves it. */
  filter?: unknown;
}

export const DEFAULT_WEBHOOK_TYPE = 'webhook';

/**
 * Every field a new webhook gets, as SuperOffice's CreateDefaultWebhook
 * returns them: what the caller must supply (name, targetUrl) is empty, and
 * the secret is null (generated on create unless given). The delivery
 * policy shows the global settings in force.
 */
export const webhookDefaults = (config: Config) => ({
  name: '',
  targetUrl: '',
  secret: null as string | null,
  state: 'ACTIVE' as WebhookState,
  isActive: true,
  type: DEFAULT_WEBHOOK_TYPE,
  events: [] as string[],
  headers: {} as HeaderMap,
  sensitiveHeaders: [] as string[],
  properties: {} as Record<string, unknown>,
  isApplicationManaged: false,
  channels: [] as string[],
  filter: null,
  ...effectiveDefaults(config),
});

export function getWebhook(deps: Deps, caller: Caller, id: string): Promise<Webhook | null> {
  return findWebhook(deps.sql, caller.accountId, id);
}

async function checkOwner(deps: Deps, caller: Caller, ownerId: string, field: string[]): Promise<UserError[]> {
  const owner = await findAssociate(deps.sql, caller.accountId, ownerId);
  return owner ? [] : [{ code: 'NOT_FOUND', message: `No associate with id "${ownerId}" in your account`, field }];
}

async function nameTaken(deps: Deps, accountId: string, name: string, exceptId?: string): Promise<boolean> {
  const id = await webhookIdByName(deps.sql, accountId, name.trim().toLowerCase());
  return !!id && id !== exceptId;
}

const errorsOf = (check: HeadersCheck | MarksCheck | RoutingCheck<unknown> | null): UserError[] => (check && !check.ok ? check.errors : []);

const conflictName = (name: string, field: string[]): UserError => ({
  code: 'CONFLICT',
  message: `A webhook named "${name.trim()}" already exists in this account (names are case-insensitive)`,
  field,
});

function emit(tx: Tx, deps: Deps, accountId: string, type: string, payload: Record<string, unknown>) {
  return publishInTx(tx, { accountId, type, payload }, deps.clock.now());
}

export async function createWebhook(
  deps: Deps,
  caller: Caller,
  input: CreateWebhookInput,
): Promise<Result<{ webhook: Webhook; secret: string }>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const f = (name: string) => ['input', name];
  const headers = resolveHeaders(input.headers ?? {}, {}, f('headers'));
  const marks = headers.ok ? resolveSensitiveMarks(input.sensitiveHeaders, headers.headers, [], f('sensitiveHeaders')) : null;
  const properties = input.properties ?? {};
  const events = normaliseEvents(input.events);
  const targetUrl = input.targetUrl.trim();
  const channels = checkWebhookChannels(input.channels ?? [], f('channels'));
  const filter = checkWebhookFilter(input.filter, f('filter'));
  const policy = checkPolicy(input, f);
  const errors: UserError[] = [
    ...checkName(input.name, f('name')),
    ...(await checkUrl(targetUrl, deps.config.allowPrivateTargets, f('targetUrl'))),
    ...(await checkEventNames(deps, caller.accountId, listedEvents(input.events), f('events'))),
    ...errorsOf(headers),
    ...errorsOf(marks),
    ...checkProperties(properties, f('properties')),
    ...policy.errors,
    ...(input.secret != null ? checkSecret(input.secret, f('secret')) : []),
    ...(input.type != null ? checkType(input.type, f('type')) : []),
    ...errorsOf(channels),
    ...errorsOf(filter),
  ];
  if (input.isApplicationManaged && !caller.application) {
    errors.push({
      code: 'FORBIDDEN',
      message: 'Only an API key that names an application can create an application-managed webhook',
      field: f('isApplicationManaged'),
    });
  }
  // An empty ownerId is an unknown associate, not "default to the caller".
  if (input.ownerId != null) errors.push(...(await checkOwner(deps, caller, input.ownerId, f('ownerId'))));
  if (errors.length || !headers.ok || !marks?.ok || !channels.ok || !filter.ok) return { ok: false, errors };
  if (await nameTaken(deps, caller.accountId, input.name)) return { ok: false, errors: [conflictName(input.name, f('name'))] };

  const secret = input.secret ?? generateWebhookSecret();
  const now = deps.clock.now();
  const active = input.isActive ?? true;
  const name = input.name.trim();
  const webhook: Webhook = {
    id: newId(),
    accountId: caller.accountId,
    name,
    nameKey: name.toLowerCase(),
    targetUrl,
    state: active ? 'ACTIVE' : 'STOPPED',
    stateReason: active ? null : `Created inactive by ${caller.associateName}`,
    stateChangedAt: now,
    type: input.type ?? DEFAULT_WEBHOOK_TYPE,
    headersCiphertext: sealHeaders(deps.keyring.box, headers.headers),
    sensitiveHeaders: marks.marks,
    properties: properties as Webhook['properties'],
    isApplicationManaged: !!input.isApplicationManaged,
    managingApplication: input.isApplicationManaged ? caller.application : null,
    ownerId: input.ownerId ?? caller.associateId,
    registeredAt: now,
    registeredById: caller.associateId,
    updatedAt: now,
    updatedById: caller.associateId,
    secretCiphertext: deps.keyring.box.encrypt(secret),
    previousSecretCiphertext: null,
    previousSecretExpiresAt: null,
    consecutiveFailures: 0,
    lastError: null,
    channels: channels.value,
    filter: filter.value,
    retrySchedule: policy.patch.retrySchedule ?? null,
    timeoutMs: policy.patch.timeoutMs ?? null,
    maxConcurrency: policy.patch.maxConcurrency ?? null,
    rateLimit: policy.patch.rateLimit ?? null,
    ordered: policy.patch.ordered ?? false,
    rateAllowAt: null,
    circuitState: 'CLOSED',
    circuitOpenedAt: null,
    circuitNextProbeAt: null,
    circuitCooldownMs: 0,
    gated: false,
  };
  webhook.gated = isGated(webhook);
  try {
    await deps.sql.tx(async (tx) => {
      await insertWebhook(tx, webhook, events);
      await emit(tx, deps, caller.accountId, 'webhook.created', { webhook: webhookSummary(webhook, events) });
    });
    return ok({ webhook, secret });
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, errors: [conflictName(input.name, f('name'))] };
    throw err;
  }
}

export async function updateWebhook(deps: Deps, caller: Caller, id: string, input: UpdateWebhookInput): Promise<Result<Webhook>> {
  const loaded = await webhookForChange(deps, caller, id);
  if (!loaded.ok) return loaded;
  const f = (name: string) => ['input', name];
  const events = input.events ? normaliseEvents(input.events) : null;
  const errors: UserError[] = [];
  if (input.name != null) errors.push(...checkName(input.name, f('name')));
  if (input.targetUrl != null) errors.push(...(await checkUrl(input.targetUrl.trim(), deps.config.allowPrivateTargets, f('targetUrl'))));
  if (input.events) errors.push(...(await checkEventNames(deps, caller.accountId, listedEvents(input.events), f('events'))));
  const current = loaded.value;
  const stored = input.headers != null || input.sensitiveHeaders != null ? openWebhookHeaders(deps, current) : null;
  const headers = input.headers != null ? resolveHeaders(input.headers, stored!, f('headers')) : null;
  const marks =
    stored && (!headers || headers.ok)
      ? resolveSensitiveMarks(
          input.sensitiveHeaders,
          headers?.headers ?? stored,
          markedNames(current.sensitiveHeaders),
          f('sensitiveHeaders'),
        )
      : null;
  errors.push(...errorsOf(headers), ...errorsOf(marks));
  if (input.properties != null) errors.push(...checkProperties(input.properties, f('properties')));
  if (input.ownerId != null) errors.push(...(await checkOwner(deps, caller, input.ownerId, f('ownerId'))));
  if (input.type != null) errors.push(...checkType(input.type, f('type')));
  const channels = input.channels != null ? checkWebhookChannels(input.channels, f('channels')) : null;
  const filter = input.filter !== undefined ? checkWebhookFilter(input.filter, f('filter')) : null;
  errors.push(...errorsOf(channels), ...errorsOf(filter));
  const policy = checkPolicy(input, f);
  errors.push(...policy.errors);
  if (errors.length) return { ok: false, errors };
  if (input.name != null && (await nameTaken(deps, caller.accountId, input.name, id))) {
    return { ok: false, errors: [conflictName(input.name, f('name'))] };
  }
  // An update that only toggles is a state change alone, as setWebhookActive makes it.
  // (filter: null is a change: it removes the filter; so is an explicit null
  // for a delivery-policy field: back to the global setting.)
  const onlyToggle =
    input.isActive != null &&
    Object.entries(input).every(([k, v]) => k === 'isActive' || v === undefined || (v === null && k !== 'filter' && !POLICY_FIELDS.has(k)));
  if (onlyToggle) return setWebhookActive(deps, caller, id, input.isActive!, current);
  try {
    const webhook = await deps.sql.tx(async (tx) => {
      const updated = (await updateWebhookFields(tx, caller.accountId, id, {
        name: input.name?.trim() ?? undefined,
        targetUrl: input.targetUrl?.trim() ?? undefined,
        headersCiphertext: headers?.ok ? sealHeaders(deps.keyring.box, headers.headers) : undefined,
        sensitiveHeaders: marks?.ok ? marks.marks : undefined,
        properties: input.properties ?? undefined,
        ownerId: input.ownerId ?? undefined,
        type: input.type ?? undefined,
        channels: channels?.ok ? channels.value : undefined,
        filter: filter?.ok ? filter.value : undefined,
        ...policy.patch,
        updatedAt: deps.clock.now(),
        updatedById: caller.associateId,
      }))!;
      if (events) await replaceWebhookEvents(tx, caller.accountId, id, events);
      tx.afterCommit('webhook.changed', { id });
      await emit(tx, deps, caller.accountId, 'webhook.updated', { webhook: webhookSummary(updated, events ?? undefined) });
      return input.isActive == null ? updated : toggleInTx(tx, deps, caller, updated, input.isActive);
    });
    return ok(webhook);
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, errors: [conflictName(input.name ?? '', f('name'))] };
    throw err;
  }
}

/**
 * Turns `current` on or off in `tx` (nothing if it already is): the state,
 * its reason and webhook.state_changed; turning on also resumes paused
 * deliveries.
 */
async function toggleInTx(tx: Tx, deps: Deps, caller: Caller, current: Webhook, active: boolean): Promise<Webhook> {
  const target: WebhookState = active ? 'ACTIVE' : 'STOPPED';
  if (current.state === target) return current;
  const now = deps.clock.now();
  const row = await changeStateInTx(tx, current, {
    state: target,
    reason: `${active ? 'Activated' : 'Deactivated'} by ${caller.associateName}`,
    at: now,
    by: caller.associateId,
    // Re-activation starts the failure count afresh, so a recovered
    // receiver is not disabled again by its old failures.
    resetFailures: active,
  });
  if (active) {
    // Paused deliveries resume now rather than at their old retry time.
    await resumePaused(tx, current.id, now);
    tx.afterCommit('deliveries.due', { accountId: caller.accountId });
  }
  return row;
}

export async function setWebhookActive(
  deps: Deps,
  caller: Caller,
  id: string,
  active: boolean,
  /** Already loaded (and checked) by the caller. */
  loadedWebhook?: Webhook,
): Promise<Result<Webhook>> {
  let current = loadedWebhook;
  if (!current) {
    const loaded = await webhookForChange(deps, caller, id);
    if (!loaded.ok) return loaded;
    current = loaded.value;
  }
  if (current.state === (active ? 'ACTIVE' : 'STOPPED')) return ok(current);
  const from = current;
  return ok(await deps.sql.tx((tx) => toggleInTx(tx, deps, caller, from, active)));
}

export async function deleteWebhook(deps: Deps, caller: Caller, id: string): Promise<Result<string>> {
  const loaded = await webhookForChange(deps, caller, id);
  if (!loaded.ok) return loaded;
  await deps.sql.tx(async (tx) => {
    await deleteWebhooks(tx, caller.accountId, [id]);
    tx.afterCommit('webhook.changed', { id });
    await emit(tx, deps, caller.accountId, 'webhook.deleted', { webhook: webhookSummary(loaded.value) });
  });
  return ok(id);
}

export async function deleteWebhooksByUrl(deps: Deps, caller: Caller, url: string): Promise<Result<string[]>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  if (!url) return fail('INVALID', 'url must not be empty', ['url']);
  const matches = await findWebhooksByUrl(deps.sql, caller.accountId, url);
  const locked = matches.map((w) => checkManagingApplication(caller, w, ['url'])).find((r) => r !== null);
  if (locked) return locked;
  if (matches.length === 0) return ok([]);
  await deps.sql.tx(async (tx) => {
    await deleteWebhooks(
      tx,
      caller.accountId,
      matches.map((w) => w.id),
    );
    for (const w of matches) {
      tx.afterCommit('webhook.changed', { id: w.id });
      await emit(tx, deps, caller.accountId, 'webhook.deleted', { webhook: webhookSummary(w) });
    }
  });
  return ok(matches.map((w) => w.id));
}

export async function rotateWebhookSecret(
  deps: Deps,
  caller: Caller,
  id: string,
  /** The caller's own new secret; generated when left out. */
  given?: string | null,
): Promise<Result<{ webhook: Webhook; secret: string }>> {
  const loaded = await webhookForChange(deps, caller, id);
  if (!loaded.ok) return loaded;
  if (given != null) {
    const errors = checkSecret(given, ['secret']);
    if (errors.length) return { ok: false, errors };
    // A rotation to the same secret would leave a leaked one signing.
    if (deps.keyring.box.decrypt(loaded.value.secretCiphertext) === given) {
      return fail('INVALID', 'The new secret must differ from the current one', ['secret']);
    }
  }
  const secret = given ?? generateWebhookSecret();
  const now = deps.clock.now();
  const webhook = await deps.sql.tx(async (tx) => {
    const row = (await rotateWebhookSecretRow(tx, caller.accountId, id, {
      secretCiphertext: deps.keyring.box.encrypt(secret),
      // The old secret keeps signing alongside the new one for the grace period.
      previousSecretCiphertext: loaded.value.secretCiphertext,
      previousSecretExpiresAt: new Date(now.getTime() + deps.config.secretRotationGraceMs),
      at: now,
      by: caller.associateId,
    }))!;
    tx.afterCommit('webhook.changed', { id });
    await emit(tx, deps, caller.accountId, 'webhook.updated', { webhook: webhookSummary(row), secretRotated: true });
    return row;
  });
  return ok({ webhook, secret });
}
