import { builder } from './builder.js';
import { callerOf } from '../server/context.js';
import { KEY_REVOKED, unlessRevoked } from '../live/revocation.js';
import { liveSource } from '../live/source.js';
import { AttemptStatus, AttemptTrigger, DeliveryStatus } from '../generated/prisma/enums.js';
import { pingWebhook, publishAs, recoverWebhook, redeliver } from '../dispatch/service.js';
import type { AttemptRecord as LiveAttempt } from '../db/stores/attempts.js';
import type { Published } from '../outbox/publish.js';
import type { WebhookStats } from '../db/stores/stats.js';
import { findWebhook } from '../db/stores/webhooks.js';
import { connectionType } from './connection.js';
import { CHECKED_CONNECTION } from '../server/connectionArgs.js';
import type { Context } from '../server/context.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import { WebhookRef } from './webhook.js';

const DeliveryStatusEnum = builder.enumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  description: 'PENDING is waiting for its next try (or paused while its webhook is off); SUCCEEDED and FAILED are final',
});
const AttemptStatusEnum = builder.enumType(AttemptStatus, { name: 'DeliveryAttemptStatus' });
const AttemptTriggerEnum = builder.enumType(AttemptTrigger, {
  name: 'DeliveryAttemptTrigger',
  description: 'SCHEDULED by the retry schedule, MANUAL from redeliver, PING from pingWebhook',
});

// Stored as JSON text; always an object (payloads and headers are checked on the way in).
const parseJson = (s: string | null) => (s === null ? null : (JSON.parse(s) as object));

export const EventRef = builder.prismaObject('Event', {
  description: 'Something that happened in an account, delivered to every subscribed webhook',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also sent as the webhook-id header, stable across retries' }),
    type: t.exposeString('type'),
    payload: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'Null once past ATTEMPT_RETENTION_DAYS',
      resolve: (e) => parseJson(e.payload),
    }),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const DeliveryRef = builder.prismaObject('Delivery', {
  description: 'One event on its way to one webhook',
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attemptCount: t.exposeInt('attemptCount'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    // Loaded with the deliveries' query (one batched statement for a page), or by Prisma's batched fallback.
    event: t.relation('event'),
    webhookId: t.exposeID('webhookId'),
  }),
});

export const DeliveryAttemptRef = builder.prismaObject('DeliveryAttempt', {
  description: 'One HTTP request to a webhook and what came back',
  fields: (t) => ({
    id: t.exposeID('id'),
    deliveryId: t.exposeID('deliveryId'),
    webhookId: t.exposeID('webhookId'),
    attemptNumber: t.exposeInt('attemptNumber'),
    trigger: t.expose('trigger', { type: AttemptTriggerEnum }),
    status: t.expose('status', { type: AttemptStatusEnum }),
    requestUrl: t.exposeString('requestUrl'),
    requestHeaders: t.field({ type: 'JSONObject', resolve: (a) => parseJson(a.requestHeaders)! }),
    requestBody: t.exposeString('requestBody'),
    responseStatus: t.exposeInt('responseStatus', { nullable: true }),
    responseHeaders: t.field({ type: 'JSONObject', nullable: true, resolve: (a) => parseJson(a.responseHeaders) }),
    responseBody: t.exposeString('responseBody', { nullable: true, description: 'At most the first 64 KiB' }),
    durationMs: t.exposeInt('durationMs'),
    error: t.exposeString('error', { nullable: true, description: 'Such as "TIMEOUT: …", "CONNECTION_REFUSED: …" or "HTTP 500"' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const WebhookStatsRef = builder.objectRef<WebhookStats>('WebhookStats').implement({
  fields: (t) => ({
    succeededCount: t.exposeInt('succeededCount'),
    failedCount: t.exposeInt('failedCount'),
    pendingCount: t.exposeInt('pendingCount'),
    consecutiveFailures: t.exposeInt('consecutiveFailures'),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    lastSuccessAt: t.expose('lastSuccessAt', { type: 'DateTime', nullable: true }),
  }),
});

const EventConnection = connectionType('Event', EventRef);
const DeliveryConnection = connectionType('Delivery', DeliveryRef);
const DeliveryAttemptConnection = connectionType('DeliveryAttempt', DeliveryAttemptRef, {
  // Delivery.attempts: Prisma would count a relation with a GROUP BY over every
  // attempt in the table (41 ms per request at 100k attempts); a DataLoader counts
  // a page of deliveries' attempts in one statement on the deliveryId index.
  countOf: (delivery, ctx) => ctx.loaders.attemptCount.load((delivery as { id: string }).id),
});

/**
 * The delivery log's pages: Pothos's Prisma cursor connections, newest first.
 * Prisma pages with its cursor on the row id (the cursor row's createdAt and
 * id, read in a subquery, bound the page); the arguments are checked before
 * execution (src/server/connectionArgs.ts), and every query is scoped to the caller's account.
 */
const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];
const pageOptions = {
  cursor: 'id',
  extensions: CHECKED_CONNECTION,
  maxSize: (_args: unknown, ctx: Context) => ctx.app.config.maxPageSize,
} as const;

const eventsOf = (ctx: Context, type: string | null | undefined) => ({ accountId: callerOf(ctx).accountId, ...(type ? { type } : {}) });
const deliveriesOf = (w: { id: string; accountId: string }, status: DeliveryStatus | null | undefined) => ({
  accountId: w.accountId,
  webhookId: w.id,
  ...(status ? { status } : {}),
});
const attemptsOf = (w: { id: string; accountId: string }, status: AttemptStatus | null | undefined) => ({
  accountId: w.accountId,
  webhookId: w.id,
  ...(status ? { status } : {}),
});

// A webhook comes from the hand-written store (src/db/stores/webhooks.ts), not
// from Prisma, so its pages are prismaConnections on the Webhook type rather
// than relatedConnections: a relatedConnection would load the webhook row again,
// and Prisma counts a relation's rows with a GROUP BY over the whole table.
builder.prismaObjectFields('Webhook', (t) => ({
  stats: t.field({ type: WebhookStatsRef, resolve: (w, _a, ctx) => ctx.loaders.webhookStats.load(w.id) }),
  deliveries: t.prismaConnection(
    {
      ...pageOptions,
      type: DeliveryRef,
      args: { status: t.arg({ type: DeliveryStatusEnum }) },
      resolve: (query, w, a, ctx) =>
        ctx.app.db.prisma.delivery.findMany({ ...query, where: deliveriesOf(w, a.status), orderBy: NEWEST_FIRST }),
      totalCount: (w, a, ctx) => ctx.app.db.prisma.delivery.count({ where: deliveriesOf(w, a.status) }),
    },
    DeliveryConnection,
  ),
  deliveryAttempts: t.prismaConnection(
    {
      ...pageOptions,
      type: DeliveryAttemptRef,
      args: { status: t.arg({ type: AttemptStatusEnum }) },
      resolve: (query, w, a, ctx) =>
        ctx.app.db.prisma.deliveryAttempt.findMany({ ...query, where: attemptsOf(w, a.status), orderBy: NEWEST_FIRST }),
      totalCount: (w, a, ctx) => ctx.app.db.prisma.deliveryAttempt.count({ where: attemptsOf(w, a.status) }),
    },
    DeliveryAttemptConnection,
  ),
}));

builder.prismaObjectFields('Delivery', (t) => ({
  // Loaded with the delivery (a page of deliveries loads all their attempts in one statement).
  attempts: t.relatedConnection(
    'attempts',
    {
      ...pageOptions,
      // totalCount: by DeliveryAttemptConnection's countOf, not Prisma's relation count.
      query: (_a, ctx) => ({ where: { accountId: callerOf(ctx).accountId }, orderBy: NEWEST_FIRST }),
    },
    DeliveryAttemptConnection,
  ),
  webhook: t.relation('webhook', { nullable: true }),
}));

builder.queryFields((t) => ({
  event: t.prismaField({
    type: EventRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _r, { id }, ctx) => ctx.app.db.prisma.event.findFirst({ ...query, where: { id, accountId: callerOf(ctx).accountId } }),
  }),
  events: t.prismaConnection(
    {
      ...pageOptions,
      type: EventRef,
      description: 'Published events, newest first',
      args: { type: t.arg.string() },
      resolve: (query, _r, a, ctx) => ctx.app.db.prisma.event.findMany({ ...query, where: eventsOf(ctx, a.type), orderBy: NEWEST_FIRST }),
      totalCount: (_r, a, ctx) => ctx.app.db.prisma.event.count({ where: eventsOf(ctx, a.type) }),
    },
    EventConnection,
  ),
  delivery: t.prismaField({
    type: DeliveryRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _r, { id }, ctx) =>
      ctx.app.db.prisma.delivery.findFirst({ ...query, where: { id, accountId: callerOf(ctx).accountId } }),
  }),
  deliveryAttempt: t.prismaField({
    type: DeliveryAttemptRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _r, { id }, ctx) =>
      ctx.app.db.prisma.deliveryAttempt.findFirst({ ...query, where: { id, accountId: callerOf(ctx).accountId } }),
  }),
}));

const PublishEventInput = builder.inputType('PublishEventInput', {
  fields: (t) => ({
    type: t.string({ required: true, description: 'An event type from the catalog' }),
    payload: t.field({ type: 'JSON', required: true, description: 'A JSON object, sent as the body\'s "data"' }),
    idempotencyKey: t.string({ description: 'Publishing the same key again within 24 h returns the first event' }),
  }),
});

const PublishEventPayload = builder.objectRef<Payload<Published>>('PublishEventPayload').implement({
  fields: (t) => ({
    event: t.field({ type: EventRef, nullable: true, resolve: (p) => p.event ?? null }),
    deliveryCount: t.int({ description: 'Webhooks the event fans out to', resolve: (p) => p.deliveryCount ?? 0 }),
    duplicate: t.boolean({ description: 'True when the idempotency key returned an earlier event', resolve: (p) => p.duplicate ?? false }),
    userErrors: userErrorsField(t),
  }),
});

const DeliveryAttemptPayload = builder.objectRef<Payload<{ attempt: LiveAttempt }>>('DeliveryAttemptPayload').implement({
  fields: (t) => ({
    attempt: t.field({ type: DeliveryAttemptRef, nullable: true, resolve: (p) => p.attempt ?? null }),
    userErrors: userErrorsField(t),
  }),
});

const RecoverWebhookPayload = builder.objectRef<Payload<{ requeuedCount: number }>>('RecoverWebhookPayload').implement({
  fields: (t) => ({
    requeuedCount: t.int({ resolve: (p) => p.requeuedCount ?? 0 }),
    userErrors: userErrorsField(t),
  }),
});

builder.mutationFields((t) => ({
  publishEvent: t.field({
    type: PublishEventPayload,
    // What builder.ts's fieldComplexity gives it (no page argument, not a
    // list), as a constant: the complexity check then skips mapping the
    // input (the whole event payload) on every publish.
    complexity: 1,
    args: { input: t.arg({ type: PublishEventInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const caller = callerOf(ctx);
      const result = await publishAs(ctx.app, caller, input.type, input.payload as Record<string, unknown>, {
        idempotencyKey: input.idempotencyKey,
      });
      return toPayload(result, (v) => v);
    },
  }),
  pingWebhook: t.field({
    type: DeliveryAttemptPayload,
    description: 'Send a webhook.ping event to this webhook now, and return the attempt',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => toPayload(await pingWebhook(ctx.app, callerOf(ctx), id), (attempt) => ({ attempt })),
  }),
  redeliver: t.field({
    type: DeliveryAttemptPayload,
    description: 'Try a delivery again now (a MANUAL attempt, never retried automatically)',
    args: { deliveryId: t.arg.id({ required: true }) },
    resolve: async (_r, { deliveryId }, ctx) => toPayload(await redeliver(ctx.app, callerOf(ctx), deliveryId), (attempt) => ({ attempt })),
  }),
  recoverWebhook: t.field({
    type: RecoverWebhookPayload,
    description: 'Requeue every delivery of this webhook that failed for good since the given time',
    args: { id: t.arg.id({ required: true }), since: t.arg({ type: 'DateTime', required: true }) },
    resolve: async (_r, { id, since }, ctx) =>
      toPayload(await recoverWebhook(ctx.app, callerOf(ctx), id, since), (requeuedCount) => ({ requeuedCount })),
  }),
}));

builder.subscriptionType({
  fields: (t) => ({
    deliveryAttempts: t.field({
      type: DeliveryAttemptRef,
      description: 'Every attempt in your account as it finishes, optionally for one webhook or status',
      args: { webhookId: t.arg.id(), status: t.arg({ type: AttemptStatusEnum }) },
      subscribe: (_r, { webhookId, status }, ctx) => {
        const { accountId, apiKeyId } = callerOf(ctx);
        return liveSource(ctx.app.pubsub, {
          topic: 'attempts:account',
          accountId,
          apiKeyId,
          accept: (a) => (!webhookId || a.webhookId === webhookId) && (!status || a.status === status),
        });
      },
      resolve: (a: LiveAttempt | typeof KEY_REVOKED) => unlessRevoked(a),
    }),
    webhookStateChanged: t.field({
      type: WebhookRef,
      description: "A webhook's state changed (toggled, auto-disabled or stopped by 410 Gone)",
      args: { webhookId: t.arg.id() },
      subscribe: (_r, { webhookId }, ctx) => {
        const { accountId, apiKeyId } = callerOf(ctx);
        return liveSource(ctx.app.pubsub, {
          topic: 'webhook-state:account',
          accountId,
          apiKeyId,
          accept: (w) => !webhookId || w.id === webhookId,
        });
      },
      resolve: async (event: { id: string; accountId: string } | typeof KEY_REVOKED, _a, ctx) => {
        const w = unlessRevoked(event);
        return (await findWebhook(ctx.app.sql, w.accountId, w.id))!;
      },
    }),
  }),
});
