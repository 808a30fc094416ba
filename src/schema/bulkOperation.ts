// Bulk operations: retryDeliveries, replayEvents, cancelBulkOperation, the
// bulkOperation(s) reads and the bulkOperationUpdated stream. The work runs
// in the background (src/dispatch/bulk.ts); the rules are in
// src/domain/bulk/service.ts.
import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { KEY_REVOKED, unlessRevoked } from '../live/revocation.js';
import { liveSource } from '../live/source.js';
import { BulkOperationKind, BulkOperationStatus } from '../generated/prisma/enums.js';
import type { BulkOperation } from '../db/stores/bulkOperations.js';
import { bulkOperationsPage, cancelBulkOperation, getBulkOperation, replayEvents, retryDeliveries } from '../domain/bulk/service.js';
import { cursorOf, decodeLogCursor } from '../domain/log/cursor.js';
import { describeFilter, parseDeliveryFilter } from '../domain/log/filter.js';
import { storedReplayFilter, storedRetryFilter } from '../dispatch/bulk.js';
import { DeliveryFilterRef, deliveryFilterInput } from './logFilter.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import type { UserError } from '../base/errors.js';

const KindEnum = builder.enumType(BulkOperationKind, {
  name: 'BulkOperationKind',
  description: 'RETRY_DELIVERIES (retryDeliveries) or REPLAY_EVENTS (replayEvents)',
});
const StatusEnum = builder.enumType(BulkOperationStatus, {
  name: 'BulkOperationStatus',
  description:
    'RUNNING until every row is handled (SUCCEEDED), it is cancelled (CANCELLED), or its batches keep failing (FAILED, see error)',
});

/** Live operations that crossed Redis carry their dates as ISO strings. */
const date = (v: Date | string | null) => (v === null ? null : new Date(v));

export const BulkOperationRef = builder.objectRef<BulkOperation>('BulkOperation').implement({
  interfaces: [NodeRef],
  description: 'A retry or replay over many deliveries, run in the background in batches; survives restarts',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: KindEnum, resolve: (o) => o.kind }),
    status: t.field({ type: StatusEnum, resolve: (o) => o.status }),
    total: t.exposeInt('total', { description: 'Rows the operation covers, counted when it started' }),
    done: t.exposeInt('done', { description: 'Rows handled so far (failed ones included)' }),
    failed: t.exposeInt('failed', {
      description: 'Rows that could not be handled: for a replay, events whose payload is past ATTEMPT_RETENTION_DAYS',
    }),
    webhookId: t.exposeID('webhookId', { nullable: true, description: 'REPLAY_EVENTS: the webhook the events are sent to' }),
    filter: t.string({
      description: 'What it covers, in words',
      resolve: (o) => {
        if (o.kind === 'RETRY_DELIVERIES') return describeFilter(storedRetryFilter(o) as Parameters<typeof describeFilter>[0]);
        const f = storedReplayFilter(o);
        return describeFilter({ eventTypes: f.types, from: f.from, to: f.to });
      },
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why it FAILED' }),
    createdAt: t.field({ type: 'DateTime', resolve: (o) => date(o.createdAt)! }),
    updatedAt: t.field({ type: 'DateTime', resolve: (o) => date(o.updatedAt)! }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (o) => date(o.finishedAt) }),
    cursor: t.string({ description: 'Pass as bulkOperations(after:)', resolve: (o) => cursorOf('bulk', o) }),
  }),
});

const BulkOperationPayload = builder.objectRef<Payload<{ bulkOperation: BulkOperation }>>('BulkOperationPayload').implement({
  fields: (t) => ({
    bulkOperation: t.field({ type: BulkOperationRef, nullable: true, resolve: (p) => p.bulkOperation ?? null }),
    userErrors: userErrorsField(t),
  }),
});

const BulkOperationPage = builder.objectRef<{ nodes: BulkOperation[]; hasNextPage: boolean }>('BulkOperationPage').implement({
  description: 'Bulk operations, newest first',
  fields: (t) => ({
    nodes: t.field({ type: [BulkOperationRef], resolve: (p) => p.nodes }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.string({ nullable: true, resolve: (p) => (p.nodes.length ? cursorOf('bulk', p.nodes[p.nodes.length - 1]) : null) }),
  }),
});

const ReplayEventsFilter = builder.inputType('ReplayEventsFilter', {
  description: 'Past events to replay: of these types (all but webhook.ping if left out), created in [from, to)',
  fields: (t) => ({
    types: t.stringList(),
    from: t.field({ type: 'DateTime', description: 'Created at or after' }),
    to: t.field({ type: 'DateTime', description: 'Created before' }),
  }),
});

/** A filter error (BAD_USER_INPUT from the shared filter check) as a mutation's userError. */
function filterErrors(fn: () => void): UserError[] {
  try {
    fn();
    return [];
  } catch (err) {
    if (!(err instanceof GraphQLError) || err.extensions.code !== 'BAD_USER_INPUT') throw err;
    return [{ code: 'INVALID', message: err.message, field: (err.extensions.field as string[] | undefined) ?? ['filter'] }];
  }
}

builder.mutationFields((t) => ({
  retryDeliveries: t.field({
    type: BulkOperationPayload,
    description:
      'Requeue, in the background, every failed delivery matching the filter (pings excluded); follow it with bulkOperation or bulkOperationUpdated. ADMIN only',
    args: { filter: t.arg({ type: DeliveryFilterRef, required: true }) },
    resolve: async (_r, a, ctx) => {
      let filter!: ReturnType<typeof parseDeliveryFilter>;
      const errors = filterErrors(() => (filter = parseDeliveryFilter(deliveryFilterInput(a.filter))));
      if (errors.length) return { userErrors: errors };
      return toPayload(await retryDeliveries(ctx.app, callerOf(ctx), filter), (bulkOperation) => ({ bulkOperation }));
    },
  }),
  replayEvents: t.field({
    type: BulkOperationPayload,
    description:
      'Send past events to one webhook, in the background, as new deliveries: also events from before the webhook existed or that it does not subscribe to. ADMIN only',
    args: {
      filter: t.arg({ type: ReplayEventsFilter, required: true }),
      webhookId: t.arg.id({ required: true }),
    },
    resolve: async (_r, a, ctx) =>
      toPayload(await replayEvents(ctx.app, callerOf(ctx), a.filter, String(a.webhookId)), (bulkOperation) => ({ bulkOperation })),
  }),
  cancelBulkOperation: t.field({
    type: BulkOperationPayload,
    description: 'Stop a running bulk operation: what it did stays done (requeued deliveries are still sent). ADMIN only',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, a, ctx) =>
      toPayload(await cancelBulkOperation(ctx.app, callerOf(ctx), String(a.id)), (bulkOperation) => ({ bulkOperation })),
  }),
}));

builder.queryFields((t) => ({
  bulkOperation: t.field({
    type: BulkOperationRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => getBulkOperation(ctx.app, callerOf(ctx).accountId, String(a.id)),
  }),
  bulkOperations: t.field({
    type: BulkOperationPage,
    description: 'Your bulk operations, newest first (first at most 100)',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (_r, a, ctx) => {
      const max = ctx.app.config.maxPageSize;
      const first = a.first ?? 20;
      if (!Number.isInteger(first) || first < 1 || first > max) {
        throw new GraphQLError(`first must be 1 to ${max}`, { extensions: { code: 'BAD_USER_INPUT', field: ['first'] } });
      }
      const key = a.after ? decodeLogCursor(a.after, 'bulk', 'after') : null;
      const rows = await bulkOperationsPage(ctx.app, callerOf(ctx).accountId, {
        limit: first + 1,
        before: key ? { at: new Date(key.at), id: key.id } : null,
      });
      return { nodes: rows.slice(0, first), hasNextPage: rows.length > first };
    },
  }),
}));

builder.subscriptionFields((t) => ({
  bulkOperationUpdated: t.field({
    type: BulkOperationRef,
    description: "Your bulk operations' progress: created, after each batch, and when they end. id follows one",
    args: { id: t.arg.id() },
    subscribe: (_r, a, ctx) => {
      const { accountId, apiKeyId } = callerOf(ctx);
      const id = a.id == null ? null : String(a.id);
      return liveSource(ctx.app.pubsub, { topic: 'bulk-operations:account', accountId, apiKeyId, accept: (o) => !id || o.id === id });
    },
    resolve: (o: BulkOperation | typeof KEY_REVOKED) => unlessRevoked(o),
  }),
}));
