import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { KEY_REVOKED, unlessRevoked } from '../live/revocation.js';
import { liveSource } from '../live/source.js';
import { pingWebhook, publishAs, recoverWebhook, redeliver, sendExampleEvent } from '../dispatch/service.js';
import type { StoredEvent } from '../db/stores/events.js';
import type { AttemptRecord as LiveAttempt } from '../db/stores/attempts.js';
import type { UpdatedDelivery } from '../db/events.js';
import {
  AttemptStatusEnum,
  AttemptTriggerEnum,
  DeliveryAttemptFilterRef,
  DeliveryFilterRef,
  DeliveryStatusEnum,
  ErrorClassEnum,
  attemptFilterInput,
  deliveryFilterInput,
} from './logFilter.js';
import { cursorOf } from '../domain/log/cursor.js';
import { listAttempts, listDeliveries } from '../domain/log/service.js';
import { parseAttemptFilter, parseDeliveryFilter, withShorthands } from '../domain/log/filter.js';
import type { AttemptStatus, DeliveryStatus } from '../generated/prisma/enums.js';
import { attemptStream, deliveryStream } from '../live/logStreams.js';
import { LOG_ATTEMPTS, LOG_DELIVERIES } from '../server/connectionArgs.js';
import type { ErrorClass } from '../dispatch/policy.js';
import type { Published } from '../outbox/publish.js';
import type { WebhookStats } from '../db/stores/stats.js';
import { findWebhook } from '../db/stores/webhooks.js';
import { connectionType } from './connection.js';
import { CHECKED_CONNECTION } from '../server/connectionArgs.js';
import type { Context } from '../server/context.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import { WebhookRef } from './webhook.js';

// Stored as JSON text; always an object (payloads and headers are checked on the way in).
const parseJson = (s: string | null) => (s === null ? null : (JSON.parse(s) as object));

export const EventRef = builder.prismaObject('Event', {
  interfaces: [NodeRef],
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
    channels: t.stringList({
      description: 'The channels it was published to (empty: none)',
      resolve: (e) => (Array.isArray(e.channels) ? (e.channels as string[]) : []),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const DeliveryRef = builder.prismaObject('Delivery', {
  interfaces: [NodeRef],
  description: 'One event on its way to one webhook',
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attemptCount: t.exposeInt('attemptCount'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    cursor: t.string({
      description: "This delivery's place in the log: pass it as after or before",
      resolve: (d) => cursorOf('delivery', d),
    }),
    // Object links: one batched, account-scoped statement per kind for a whole page.
    event: t.field({ type: EventRef, resolve: async (d, _a, ctx) => (await ctx.loaders.event.load(d.eventId))! }),
    webhookId: t.exposeID('webhookId'),
    eventId: t.exposeID('eventId'),
  }),
});

export const DeliveryAttemptRef = builder.prismaObject('DeliveryAttempt', {
  interfaces: [NodeRef],
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
    errorClass: t.field({
      type: ErrorClassEnum,
      nullable: true,
      description: 'Why it failed, as a class to filter by; null when it succeeded',
      resolve: (a) => (a.status === 'FAILED' ? ((a.errorClass as ErrorClass | null) ?? 'NETWORK') : null),
    }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    cursor: t.string({
      description: "This attempt's place in the log: pass it as after or before, or to the deliveryAttempts subscription's after",
      resolve: (a) => cursorOf('attempt', a),
    }),
    delivery: t.field({ type: DeliveryRef, resolve: async (a, _x, ctx) => (await ctx.loaders.delivery.load(a.deliveryId))! }),
    event: t.field({
      type: EventRef,
      resolve: async (a, _x, ctx) => {
        // Live attempts carry their event id; stored ones reach it through their delivery.
        const eventId = (a as { eventId?: string }).eventId ?? (await ctx.loaders.delivery.load(a.deliveryId))!.eventId;
        return (await ctx.loaders.event.load(eventId))!;
      },
    }),
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
const bounded = { bounded: true, description: 'Rows matching, counted exactly up to 10,000 (see totalCountIsLowerBound)' };
const DeliveryConnection = connectionType('Delivery', DeliveryRef, bounded);
const DeliveryAttemptConnection = connectionType('DeliveryAttempt', DeliveryAttemptRef, bounded);

/** The events page: Pothos's Prisma cursor connection, newest first (its arguments are checked before execution, src/server/connectionArgs.ts). */
const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];
const pageOptions = {
  cursor: 'id',
  extensions: CHECKED_CONNECTION,
  maxSize: (_args: unknown, ctx: Context) => ctx.app.config.maxPageSize,
} as const;

const eventsOf = (ctx: Context, type: string | null | undefined) => ({ accountId: callerOf(ctx).accountId, ...(type ? { type } : {}) });

/*
 * The delivery log's pages (src/domain/log/service.ts): hand-written keyset
 * SQL, newest first by (createdAt, id), one filter input everywhere. Their
 * arguments and filters are checked before execution too (LOG_ATTEMPTS,
 * LOG_DELIVERIES), so a bad cursor in a nested page is one error.
 */
const id = (v: string | number | null | undefined) => (v == null ? null : String(v));
const attemptFilter = (input: unknown, s: { webhookId?: string | null; status?: AttemptStatus | null } = {}) =>
  withShorthands(parseAttemptFilter(attemptFilterInput(input)), s);
const deliveryFilter = (input: unknown, s: { webhookId?: string | null; status?: DeliveryStatus | null } = {}) =>
  withShorthands(parseDeliveryFilter(deliveryFilterInput(input)), s);

// A webhook comes from the hand-written store (src/db/stores/webhooks.ts), not from Prisma.
builder.prismaObjectFields('Webhook', (t) => ({
  stats: t.field({ type: WebhookStatsRef, resolve: (w, _a, ctx) => ctx.loaders.webhookStats.load(w.id) }),
  deliveries: t.connection(
    {
      type: DeliveryRef,
      extensions: LOG_DELIVERIES,
      args: {
        status: t.arg({ type: DeliveryStatusEnum, description: 'Shorthand for filter.statuses: [status]' }),
        filter: t.arg({ type: DeliveryFilterRef }),
      },
      resolve: (w, a, ctx) =>
        listDeliveries(
          ctx.app,
          w.accountId,
          a,
          deliveryFilter(a.filter, { status: a.status }),
          { column: 'webhookId', id: w.id },
          ctx.loaders.batch,
        ),
    },
    DeliveryConnection,
  ),
  deliveryAttempts: t.connection(
    {
      type: DeliveryAttemptRef,
      extensions: LOG_ATTEMPTS,
      args: {
        status: t.arg({ type: AttemptStatusEnum, description: 'Shorthand for filter.statuses: [status]' }),
        filter: t.arg({ type: DeliveryAttemptFilterRef }),
      },
      resolve: (w, a, ctx) =>
        listAttempts(
          ctx.app,
          w.accountId,
          a,
          attemptFilter(a.filter, { status: a.status }),
          { column: 'webhookId', id: w.id },
          ctx.loaders.batch,
        ),
    },
    DeliveryAttemptConnection,
  ),
}));

builder.prismaObjectFields('Delivery', (t) => ({
  attempts: t.connection(
    {
      type: DeliveryAttemptRef,
      extensions: LOG_ATTEMPTS,
      args: { filter: t.arg({ type: DeliveryAttemptFilterRef }) },
      resolve: (d, a, ctx) =>
        listAttempts(ctx.app, d.accountId, a, attemptFilter(a.filter), { column: 'deliveryId', id: d.id }, ctx.loaders.batch),
    },
    DeliveryAttemptConnection,
  ),
  webhook: t.field({ type: WebhookRef, nullable: true, resolve: (d, _a, ctx) => ctx.loaders.webhook.load(d.webhookId) }),
}));

builder.prismaObjectFields('DeliveryAttempt', (t) => ({
  webhook: t.field({ type: WebhookRef, nullable: true, resolve: (a, _x, ctx) => ctx.loaders.webhook.load(a.webhookId) }),
}));

builder.prismaObjectFields('Event', (t) => ({
  deliveries: t.connection(
    {
      type: DeliveryRef,
      extensions: LOG_DELIVERIES,
      description: "This event's deliveries, one per webhook it went to",
      args: { filter: t.arg({ type: DeliveryFilterRef }) },
      resolve: (e, a, ctx) =>
        listDeliveries(ctx.app, e.accountId, a, deliveryFilter(a.filter), { column: 'eventId', id: e.id }, ctx.loaders.batch),
    },
    DeliveryConnection,
  ),
}));

builder.queryFields((t) => ({
  deliveries: t.connection(
    {
      type: DeliveryRef,
      extensions: LOG_DELIVERIES,
      description: 'Deliveries in your account, newest first',
      args: { filter: t.arg({ type: DeliveryFilterRef }) },
      resolve: (_r, a, ctx) => listDeliveries(ctx.app, callerOf(ctx).accountId, a, deliveryFilter(a.filter)),
    },
    DeliveryConnection,
  ),
  deliveryAttempts: t.connection(
    {
      type: DeliveryAttemptRef,
      extensions: LOG_ATTEMPTS,
      description: 'Delivery attempts in your account, newest first',
      args: { filter: t.arg({ type: DeliveryAttemptFilterRef }) },
      resolve: (_r, a, ctx) => listAttempts(ctx.app, callerOf(ctx).accountId, a, attemptFilter(a.filter)),
    },
    DeliveryAttemptConnection,
  ),
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
    channels: t.stringList({
      description:
        'Channels to publish to (at most 10): webhooks with channels receive only events on one of theirs; webhooks without channels receive it either way',
    }),
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

const SendExampleEventPayload = builder
  .objectRef<Payload<{ event: StoredEvent; deliveryId: string }>>('SendExampleEventPayload')
  .implement({
    fields: (t) => ({
      event: t.field({ type: EventRef, nullable: true, resolve: (p) => p.event ?? null }),
      delivery: t.field({
        type: DeliveryRef,
        nullable: true,
        resolve: (p, _a, ctx) => (p.deliveryId ? ctx.loaders.delivery.load(p.deliveryId) : null),
      }),
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
        channels: input.channels,
      });
      return toPayload(result, (v) => v);
    },
  }),
  pingWebhook: t.field({
    type: DeliveryAttemptPayload,
    description:
      'Send a webhook.ping event to this webhook now, and return the attempt. With type, send an event of that type carrying its example payload instead',
    args: {
      id: t.arg.id({ required: true }),
      type: t.arg.string({ description: 'An event type with an example payload (EventType.example)' }),
    },
    resolve: async (_r, { id, type }, ctx) => toPayload(await pingWebhook(ctx.app, callerOf(ctx), id, type), (attempt) => ({ attempt })),
  }),
  sendExampleEvent: t.field({
    type: SendExampleEventPayload,
    description:
      'Publish an event of this type with its example payload to this one webhook only (whatever its events, channels and filter), as an ordinary delivery: queued, retried and logged',
    args: { webhookId: t.arg.id({ required: true }), type: t.arg.string({ required: true }) },
    resolve: async (_r, { webhookId, type }, ctx) =>
      toPayload(await sendExampleEvent(ctx.app, callerOf(ctx), String(webhookId), type), (v) => v),
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
      description:
        'Attempts in your account as they are recorded, matching the filter (webhookId and status are shorthands for it). With after (a cursor), every stored attempt after it comes first, then the live ones: none missed, none twice',
      args: {
        filter: t.arg({ type: DeliveryAttemptFilterRef }),
        after: t.arg.string({ description: "An attempt's cursor: start with the stored attempts after it, oldest first" }),
        webhookId: t.arg.id(),
        status: t.arg({ type: AttemptStatusEnum }),
      },
      subscribe: (_r, a, ctx) => {
        const { accountId, apiKeyId, expiresAt } = callerOf(ctx);
        ctx.app.expiry.watch(apiKeyId, expiresAt);
        const filter = attemptFilter(a.filter, { webhookId: id(a.webhookId), status: a.status });
        return attemptStream(ctx.app, { accountId, apiKeyId, filter, after: a.after ?? null });
      },
      resolve: (a: LiveAttempt | typeof KEY_REVOKED) => unlessRevoked(a),
    }),
    deliveryUpdated: t.field({
      type: DeliveryRef,
      description:
        'A delivery changed: each recorded attempt (status PENDING → SUCCEEDED or FAILED, or a new nextAttemptAt) and each requeue. webhookId is a shorthand for filter.webhookIds',
      args: { filter: t.arg({ type: DeliveryFilterRef }), webhookId: t.arg.id() },
      subscribe: (_r, a, ctx) => {
        const { accountId, apiKeyId, expiresAt } = callerOf(ctx);
        ctx.app.expiry.watch(apiKeyId, expiresAt);
        return deliveryStream(ctx.app, { accountId, apiKeyId, filter: deliveryFilter(a.filter, { webhookId: id(a.webhookId) }) });
      },
      resolve: (d: UpdatedDelivery | typeof KEY_REVOKED) => unlessRevoked(d),
    }),
    webhookStateChanged: t.field({
      type: WebhookRef,
      description:
        "A webhook's state changed (toggled, auto-disabled or stopped by 410 Gone), or its circuit did (opened, half-opened for a probe, closed)",
      args: { webhookId: t.arg.id() },
      subscribe: (_r, { webhookId }, ctx) => {
        const { accountId, apiKeyId, expiresAt } = callerOf(ctx);
        ctx.app.expiry.watch(apiKeyId, expiresAt);
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
