// Webhooks and their subscribed event types. Every finder takes the account
// id, so a caller can only ever reach its own account's rows.
import type { CircuitState, Webhook, WebhookState } from '../../generated/prisma/client.js';
import { perDialect, type Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';

export type { Webhook };

export function webhookFromRow(d: Dialect, r: Row): Webhook {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    name: r.name as string,
    nameKey: r.nameKey as string,
    targetUrl: r.targetUrl as string,
    state: r.state as WebhookState,
    stateReason: (r.stateReason as string | null) ?? null,
    stateChangedAt: d.date(r.stateChangedAt),
    type: r.type as string,
    headersCiphertext: (r.headersCiphertext as string | null) ?? null,
    sensitiveHeaders: d.json(r.sensitiveHeaders),
    properties: d.json(r.properties),
    isApplicationManaged: d.bool(r.isApplicationManaged),
    managingApplication: (r.managingApplication as string | null) ?? null,
    ownerId: r.ownerId as string,
    registeredAt: d.date(r.registeredAt),
    registeredById: r.registeredById as string,
    updatedAt: d.date(r.updatedAt),
    updatedById: r.updatedById as string,
    secretCiphertext: r.secretCiphertext as string,
    previousSecretCiphertext: (r.previousSecretCiphertext as string | null) ?? null,
    previousSecretExpiresAt: d.dateOrNull(r.previousSecretExpiresAt),
    consecutiveFailures: Number(r.consecutiveFailures),
    lastError: (r.lastError as string | null) ?? null,
    retrySchedule: r.retrySchedule === null || r.retrySchedule === undefined ? null : d.json(r.retrySchedule),
    timeoutMs: intOrNull(r.timeoutMs),
    maxConcurrency: intOrNull(r.maxConcurrency),
    ordered: d.bool(r.ordered),
    ...gateFromRow(d, r),
    gated: d.bool(r.gated),
    channels: r.channels == null ? null : d.json(r.channels),
    filter: (r.filter as string | null) ?? null,
  };
}

/** A webhook's channels as a list (empty: it listens on every channel). */
export const webhookChannels = (w: Pick<Webhook, 'channels'>): string[] => (Array.isArray(w.channels) ? (w.channels as string[]) : []);

export const intOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The columns that gate a webhook's claims: its rate limiter and circuit (also read on their own by lockGate). */
export function gateFromRow(d: Dialect, r: Row) {
  return {
    rateLimit: intOrNull(r.rateLimit),
    rateAllowAt: d.dateOrNull(r.rateAllowAt),
    circuitState: r.circuitState as CircuitState,
    circuitOpenedAt: d.dateOrNull(r.circuitOpenedAt),
    circuitNextProbeAt: d.dateOrNull(r.circuitNextProbeAt),
    circuitCooldownMs: Number(r.circuitCooldownMs),
  };
}

const one = async (sql: Sql, text: string, values: unknown[]) => {
  const r = await sql.get(text, values);
  return r ? webhookFromRow(sql.dialect, r) : null;
};

export function findWebhook(sql: Sql, accountId: string, id: string): Promise<Webhook | null> {
  return one(sql, `SELECT * FROM "Webhook" WHERE "accountId" = ? AND "id" = ?`, [accountId, id]);
}

/** The id of the webhook holding a (lower-cased) name, if any. */
export async function webhookIdByName(sql: Sql, accountId: string, nameKey: string): Promise<string | null> {
  const r = await sql.get<{ id: string }>(`SELECT "id" FROM "Webhook" WHERE "accountId" = ? AND "nameKey" = ?`, [accountId, nameKey]);
  return r?.id ?? null;
}

/** Every webhook of the account, oldest first (previewRouting explains each one's routing). */
export async function allWebhooks(sql: Sql, accountId: string): Promise<Webhook[]> {
  const rows = await sql.all(`SELECT * FROM "Webhook" WHERE "accountId" = ? ORDER BY "registeredAt", "id"`, [accountId]);
  return rows.map((r) => webhookFromRow(sql.dialect, r));
}

export async function findWebhooksByUrl(sql: Sql, accountId: string, url: string): Promise<Webhook[]> {
  const rows = await sql.all(`SELECT * FROM "Webhook" WHERE "accountId" = ? AND "targetUrl" = ?`, [accountId, url]);
  return rows.map((r) => webhookFromRow(sql.dialect, r));
}

const COLUMNS = [
  'id',
  'accountId',
  'name',
  'nameKey',
  'targetUrl',
  'state',
  'stateReason',
  'stateChangedAt',
  'type',
  'headersCiphertext',
  'sensitiveHeaders',
  'properties',
  'isApplicationManaged',
  'managingApplication',
  'ownerId',
  'registeredAt',
  'registeredById',
  'updatedAt',
  'updatedById',
  'secretCiphertext',
  'previousSecretCiphertext',
  'previousSecretExpiresAt',
  'consecutiveFailures',
  'lastError',
  'retrySchedule',
  'timeoutMs',
  'maxConcurrency',
  'ordered',
  'rateLimit',
  'rateAllowAt',
  'circuitState',
  'circuitOpenedAt',
  'circuitNextProbeAt',
  'circuitCooldownMs',
  'gated',
  'channels',
  'filter',
] as const satisfies readonly (keyof Webhook)[];

const INSERT = `INSERT INTO "Webhook" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

const bindJson = (v: unknown) => JSON.stringify(v ?? {});
const JSON_COLUMNS = new Set<string>(['sensitiveHeaders', 'properties']);
/** Channels: a JSON array, or null (not an empty array) for "every channel". */
const bindChannels = (v: readonly string[] | null) => (v && v.length ? JSON.stringify(v) : null);
/** JSON columns where null means "not set" (the global default). */
const NULLABLE_JSON_COLUMNS = new Set<string>(['retrySchedule']);

const bindColumn = (w: Webhook, c: (typeof COLUMNS)[number]) =>
  c === 'channels'
    ? bindChannels(webhookChannels(w))
    : JSON_COLUMNS.has(c)
      ? bindJson(w[c])
      : NULLABLE_JSON_COLUMNS.has(c)
        ? w[c] === null
          ? null
          : JSON.stringify(w[c])
        : w[c];

/**
 * Whether the delivery thread must claim a webhook's deliveries through the
 * gated path (src/db/stores/gated.ts): true for any policy the batch claim
 * cannot apply. The one definition, used when a webhook is saved.
 */
export const isGated = (w: Pick<Webhook, 'ordered' | 'maxConcurrency' | 'rateLimit' | 'circuitState'>): boolean =>
  w.ordered || w.maxConcurrency !== null || w.rateLimit !== null || w.circuitState !== 'CLOSED';

/**
 * The same rule in SQL, over the row's new values: every statement that
 * changes a policy column sets "gated" with it, so the two never disagree.
 * Bound values in the expressions appear in this order: ordered,
 * maxConcurrency, rateLimit, circuitState.
 */
export const GATED_SQL = (v: { ordered?: string; maxConcurrency?: string; rateLimit?: string; circuitState?: string }) =>
  `(${v.ordered ?? '"ordered"'} OR ${v.maxConcurrency ?? '"maxConcurrency"'} IS NOT NULL OR ${v.rateLimit ?? '"rateLimit"'} IS NOT NULL
    OR ${v.circuitState ?? '"circuitState"'} <> 'CLOSED')`;

export async function insertWebhook(sql: Sql, w: Webhook, events: string[]): Promise<void> {
  await sql.run(
    INSERT,
    COLUMNS.map((c) => (c === 'gated' ? isGated(w) : bindColumn(w, c))),
  );
  await insertWebhookEvents(sql, w.accountId, w.id, events);
}

async function insertWebhookEvents(sql: Sql, accountId: string, webhookId: string, events: string[]) {
  for (const eventType of events) {
    await sql.run(`INSERT INTO "WebhookEvent" ("webhookId", "accountId", "eventType") VALUES (?, ?, ?)`, [webhookId, accountId, eventType]);
  }
}

export async function replaceWebhookEvents(sql: Sql, accountId: string, webhookId: string, events: string[]): Promise<void> {
  await sql.run(`DELETE FROM "WebhookEvent" WHERE "accountId" = ? AND "webhookId" = ?`, [accountId, webhookId]);
  await insertWebhookEvents(sql, accountId, webhookId, events);
}

/** A policy override: undefined leaves it, null clears it (back to the global default), a value sets it. */
export type Override<T> = T | null | undefined;

export interface WebhookPatch {
  name?: string;
  targetUrl?: string;
  /** Set (null: no headers) or, if undefined, left as it is. */
  headersCiphertext?: string | null;
  /** Lower-cased names; left as they are if undefined. */
  sensitiveHeaders?: string[];
  properties?: unknown;
  ownerId?: string;
  type?: string;
  retrySchedule?: Override<number[]>;
  timeoutMs?: Override<number>;
  maxConcurrency?: Override<number>;
  rateLimit?: Override<number>;
  /** null: back to the default, false. */
  ordered?: Override<boolean>;
  /** Set ([] or null: every channel) or, if undefined, left as they are. */
  channels?: string[] | null;
  /** Set (the filter's JSON text, or null: no filter) or, if undefined, left as it is. */
  filter?: string | null;
  updatedAt: Date;
  updatedById: string;
}

/** `"col" = CASE WHEN <given> THEN <value> ELSE "col" END`: an override column's new value (two bound values). */
const overridden = (d: Dialect, col: string) => `CASE WHEN ${d.cast('?', 'bool')} THEN ? ELSE "${col}" END`;

const UPDATE_FIELDS = perDialect(
  (d) => `UPDATE "Webhook" SET "name" = COALESCE(?, "name"), "nameKey" = COALESCE(?, "nameKey"), "targetUrl" = COALESCE(?, "targetUrl"),
       "headersCiphertext" = CASE WHEN ${d.cast('?', 'bool')} THEN ? ELSE "headersCiphertext" END,
       "sensitiveHeaders" = COALESCE(?, "sensitiveHeaders"),
       "properties" = COALESCE(?, "properties"), "ownerId" = COALESCE(?, "ownerId"), "type" = COALESCE(?, "type"),
       "retrySchedule" = ${overridden(d, 'retrySchedule')},
       "timeoutMs" = ${overridden(d, 'timeoutMs')},
       "maxConcurrency" = ${overridden(d, 'maxConcurrency')},
       "rateLimit" = ${overridden(d, 'rateLimit')},
       "ordered" = ${overridden(d, 'ordered')},
       "channels" = CASE WHEN ${d.cast('?', 'bool')} THEN ? ELSE "channels" END,
       "filter" = CASE WHEN ${d.cast('?', 'bool')} THEN ? ELSE "filter" END,
       "gated" = ${GATED_SQL({
         maxConcurrency: overridden(d, 'maxConcurrency'),
         rateLimit: overridden(d, 'rateLimit'),
         ordered: overridden(d, 'ordered'),
       })},
       "updatedAt" = ?, "updatedById" = ?
     WHERE "accountId" = ? AND "id" = ? RETURNING *`,
);

/** The two bound values of `overridden`. */
const override = (v: unknown, encode: (v: unknown) => unknown = (x) => x) => [
  v !== undefined,
  v === undefined || v === null ? null : encode(v),
];

/** Changes the given fields (others stay); one fixed statement whatever the patch. */
export function updateWebhookFields(sql: Sql, accountId: string, id: string, p: WebhookPatch): Promise<Webhook | null> {
  return one(sql, UPDATE_FIELDS(sql.dialect), [
    p.name ?? null,
    p.name?.toLowerCase() ?? null,
    p.targetUrl ?? null,
    p.headersCiphertext !== undefined,
    p.headersCiphertext ?? null,
    p.sensitiveHeaders === undefined ? null : JSON.stringify(p.sensitiveHeaders),
    p.properties === undefined ? null : bindJson(p.properties),
    p.ownerId ?? null,
    p.type ?? null,
    ...override(p.retrySchedule, (v) => JSON.stringify(v)),
    ...override(p.timeoutMs),
    ...override(p.maxConcurrency),
    ...override(p.rateLimit),
    ...override(p.ordered === null ? false : p.ordered),
    p.channels !== undefined,
    p.channels === undefined ? null : bindChannels(p.channels),
    p.filter !== undefined,
    p.filter ?? null,
    // "gated", from the same new values, in GATED_SQL's order.
    ...override(p.ordered === null ? false : p.ordered),
    ...override(p.maxConcurrency),
    ...override(p.rateLimit),
    p.updatedAt,
    p.updatedById,
    accountId,
    id,
  ]);
}

/** Hands every webhook `from` owns to `to`, as a change `by` made at `at`; returns them as changed. */
export async function reassignWebhookOwner(
  sql: Sql,
  accountId: string,
  from: string,
  to: string,
  at: Date,
  by: string,
): Promise<Webhook[]> {
  const rows = await sql.all(
    `UPDATE "Webhook" SET "ownerId" = ?, "updatedAt" = ?, "updatedById" = ? WHERE "accountId" = ? AND "ownerId" = ? RETURNING *`,
    [to, at, by, accountId, from],
  );
  return rows.map((r) => webhookFromRow(sql.dialect, r));
}

export interface StateChange {
  state: WebhookState;
  reason: string;
  at: Date;
  /** Set by a person's toggle; left alone by automatic changes. */
  by?: string | null;
  /** Re-activation starts the failure count afresh. */
  resetFailures?: boolean;
}

const SET_STATE = perDialect((d) => {
  const reset = (col: string, to: string) => `"${col}" = CASE WHEN ${d.cast('?', 'bool')} THEN ${to} ELSE "${col}" END`;
  return `UPDATE "Webhook" SET "state" = ?, "stateReason" = ?, "stateChangedAt" = ?,
       "updatedAt" = CASE WHEN ${d.cast('?', 'text')} IS NULL THEN "updatedAt" ELSE ? END, "updatedById" = COALESCE(?, "updatedById"),
       ${reset('consecutiveFailures', '0')}, ${reset('circuitState', `'CLOSED'`)}, ${reset('circuitOpenedAt', 'NULL')},
       ${reset('circuitNextProbeAt', 'NULL')}, ${reset('circuitCooldownMs', '0')},
       "gated" = CASE WHEN ${d.cast('?', 'bool')} THEN ${GATED_SQL({ circuitState: `'CLOSED'` })} ELSE "gated" END
     WHERE "accountId" = ? AND "id" = ? RETURNING *`;
});

/** Re-activation (resetFailures) starts afresh: no failure streak, and a closed circuit. */
export function setWebhookState(sql: Sql, accountId: string, id: string, c: StateChange): Promise<Webhook | null> {
  const reset = !!c.resetFailures;
  return one(sql, SET_STATE(sql.dialect), [
    c.state,
    c.reason,
    c.at,
    c.by ?? null,
    c.at,
    c.by ?? null,
    ...Array<boolean>(6).fill(reset),
    accountId,
    id,
  ]);
}

export interface SecretRotation {
  secretCiphertext: string;
  previousSecretCiphertext: string;
  previousSecretExpiresAt: Date;
  at: Date;
  by: string;
}

export function rotateWebhookSecretRow(sql: Sql, accountId: string, id: string, r: SecretRotation): Promise<Webhook | null> {
  return one(
    sql,
    `UPDATE "Webhook" SET "secretCiphertext" = ?, "previousSecretCiphertext" = ?, "previousSecretExpiresAt" = ?, "updatedAt" = ?, "updatedById" = ?
     WHERE "accountId" = ? AND "id" = ? RETURNING *`,
    [r.secretCiphertext, r.previousSecretCiphertext, r.previousSecretExpiresAt, r.at, r.by, accountId, id],
  );
}

export async function deleteWebhooks(sql: Sql, accountId: string, ids: string[]): Promise<number> {
  return sql.run(`DELETE FROM "Webhook" WHERE ${sql.dialect.scope('"accountId"')} = ? AND ${sql.dialect.inList('"id"')}`, [accountId, ids]);
}

/** Subscribed event types of each webhook, sorted; one statement for any number of webhooks. */
export async function eventTypesOf(sql: Sql, accountId: string, ids: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await sql.all<{ webhookId: string; eventType: string }>(
    `SELECT "webhookId", "eventType" FROM "WebhookEvent" WHERE ${sql.dialect.scope('"accountId"')} = ? AND ${sql.dialect.inList('"webhookId"')} ORDER BY "eventType"`,
    [accountId, ids],
  );
  const byId = new Map<string, string[]>();
  for (const r of rows) {
    const list = byId.get(r.webhookId);
    if (list) list.push(r.eventType);
    else byId.set(r.webhookId, [r.eventType]);
  }
  return byId;
}

/** The webhooks a batch of deliveries needs (the worker's first read). Not tenant-scoped: the worker serves every account. */
const BY_IDS = perDialect((d) => `SELECT * FROM "Webhook" WHERE ${d.inList('"id"')}`);

const WEBHOOKS_IN = perDialect((d) => `SELECT * FROM "Webhook" WHERE ${d.scope('"accountId"')} = ? AND ${d.inList('"id"')}`);

/** Webhooks by id within one account (object links of the delivery log). */
export async function webhooksByIdsIn(sql: Sql, accountId: string, ids: readonly string[]): Promise<Webhook[]> {
  const rows = await sql.all(WEBHOOKS_IN(sql.dialect), [accountId, ids]);
  return rows.map((r) => webhookFromRow(sql.dialect, r));
}

export async function webhooksByIds(sql: Sql, ids: string[]): Promise<Webhook[]> {
  const rows = await sql.all(BY_IDS(sql.dialect), [ids]);
  return rows.map((r) => webhookFromRow(sql.dialect, r));
}

export interface Streak {
  webhookId: string;
  /** Failures since the last success in this batch, or all of them if none succeeded. */
  failures: number;
  succeeded: boolean;
  lastError: string | null;
  gone: boolean;
}

const RESET_STREAKS = perDialect(
  (d) => `UPDATE "Webhook" SET "consecutiveFailures" = 0 WHERE ${d.inList('"id"')} AND "consecutiveFailures" <> 0 RETURNING "id"`,
);

/**
 * Ends the failure streaks of webhooks whose batch ended in a success, in one
 * statement. Usually it changes nothing, and matching no row takes no row
 * lock. Returns the webhooks that were failing: only those can have a
 * circuit to close (a circuit opens after failures, and only a success or
 * re-activation ends either).
 */
export async function resetStreaks(sql: Sql, webhookIds: string[]): Promise<string[]> {
  if (!webhookIds.length) return [];
  const rows = await sql.all<{ id: string }>(RESET_STREAKS(sql.dialect), [webhookIds]);
  return rows.map((r) => r.id);
}

export interface CircuitRow {
  circuitState: CircuitState;
  circuitOpenedAt: Date | null;
  circuitNextProbeAt: Date | null;
  circuitCooldownMs: number;
}

const SET_CIRCUIT = perDialect(
  (d) => `UPDATE "Webhook" SET "circuitState" = ?, "circuitOpenedAt" = ?, "circuitNextProbeAt" = ?, "circuitCooldownMs" = ?,
       "gated" = ${GATED_SQL({ circuitState: d.cast('?', 'text') })}
     WHERE "id" = ? RETURNING *`,
);

/** Moves a webhook's circuit (and whether it is gated with it); the worker's own update, not tenant-scoped. */
export function setCircuit(sql: Sql, id: string, c: CircuitRow): Promise<Webhook | null> {
  return one(sql, SET_CIRCUIT(sql.dialect), [
    c.circuitState,
    c.circuitOpenedAt,
    c.circuitNextProbeAt,
    c.circuitCooldownMs,
    c.circuitState,
    id,
  ]);
}

const CLOSE_CIRCUITS = perDialect(
  (d) => `UPDATE "Webhook" SET "circuitState" = 'CLOSED', "circuitOpenedAt" = NULL, "circuitNextProbeAt" = NULL, "circuitCooldownMs" = 0,
       "gated" = ${GATED_SQL({ circuitState: `'CLOSED'` })}
     WHERE ${d.inList('"id"')} AND "circuitState" <> 'CLOSED' RETURNING *`,
);

/** Closes the circuits of these webhooks that are open or half-open; returns those it closed. */
export async function closeCircuits(sql: Sql, ids: string[]): Promise<Webhook[]> {
  if (!ids.length) return [];
  const rows = await sql.all(CLOSE_CIRCUITS(sql.dialect), [ids]);
  return rows.map((r) => webhookFromRow(sql.dialect, r));
}

/** Adds a batch's failures to a webhook's streak (or resets it); returns the webhook if it is active and failing. */
export async function updateStreak(sql: Sql, s: Streak): Promise<void> {
  if (s.failures === 0) {
    // A clean success streak usually changes nothing; matching no row then
    // takes no row lock, which keeps concurrent workers from contending.
    await sql.run(`UPDATE "Webhook" SET "consecutiveFailures" = 0 WHERE "id" = ? AND "consecutiveFailures" <> 0`, [s.webhookId]);
    return;
  }
  await sql.run(STREAK(sql.dialect), [s.succeeded, s.failures, s.lastError, s.webhookId]);
}

const STREAK = perDialect(
  (d) => `UPDATE "Webhook" SET "consecutiveFailures" = CASE WHEN ${d.cast('?', 'bool')} THEN 0 ELSE "consecutiveFailures" END + ?,
       "lastError" = COALESCE(?, "lastError") WHERE "id" = ?`,
);
