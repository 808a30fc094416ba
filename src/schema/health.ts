// Health over time: Webhook.health and the account-wide deliveryHealth, summed
// from the attempt rollups (src/domain/health/service.ts).
import { builder } from './builder.js';
import { callerOf } from '../server/context.js';
import type { HealthBucket } from '../dispatch/health.js';
import { healthSeries, type HealthSeries } from '../domain/health/service.js';
import { ErrorClassEnum } from './logFilter.js';
import type { ErrorClass } from '../dispatch/policy.js';

const ErrorClassCount = builder.objectRef<{ errorClass: string; count: number }>('ErrorClassCount').implement({
  fields: (t) => ({
    errorClass: t.field({ type: ErrorClassEnum, resolve: (c) => c.errorClass as ErrorClass }),
    count: t.exposeInt('count'),
  }),
});

const StatusClassCount = builder.objectRef<{ statusClass: string; count: number }>('StatusClassCount').implement({
  fields: (t) => ({
    statusClass: t.exposeString('statusClass', { description: 'Such as "4xx" or "5xx"' }),
    count: t.exposeInt('count'),
  }),
});

const HealthBucketRef = builder.objectRef<HealthBucket>('HealthBucket').implement({
  description: 'Attempts made in [start, end)',
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime' }),
    end: t.expose('end', { type: 'DateTime' }),
    attempts: t.exposeInt('attempts'),
    successes: t.exposeInt('successes'),
    failures: t.exposeInt('failures'),
    failuresByErrorClass: t.field({ type: [ErrorClassCount], resolve: (b) => b.failuresByErrorClass, description: 'Most frequent first' }),
    failuresByStatusClass: t.field({
      type: [StatusClassCount],
      resolve: (b) => b.failuresByStatusClass,
      description: 'Failed attempts that got an HTTP answer, by its class',
    }),
    latencyP50Ms: t.exposeInt('latencyP50Ms', {
      nullable: true,
      description: 'Median attempt duration: the upper edge of a histogram bin, at most 20% above the true value; null without attempts',
    }),
    latencyP95Ms: t.exposeInt('latencyP95Ms', { nullable: true }),
    latencyP99Ms: t.exposeInt('latencyP99Ms', { nullable: true }),
  }),
});

const HealthSeriesRef = builder.objectRef<HealthSeries>('DeliveryHealth').implement({
  description: 'Delivery attempts over time, one bucket per interval, oldest first; the last bucket holds now and is still filling',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    bucketSeconds: t.exposeInt('bucketSeconds'),
    buckets: t.field({ type: [HealthBucketRef], resolve: (s) => s.buckets }),
  }),
});

const healthArgs = {
  window: { description: 'How far back: a duration such as "1h", "24h" or "7d" (at most 90d)' },
  bucket: { description: 'Bucket length: whole 5 minutes, dividing window evenly, such as "5m" or "1h" (at most 1,440 buckets)' },
};

builder.prismaObjectFields('Webhook', (t) => ({
  health: t.field({
    type: HealthSeriesRef,
    description: "This webhook's attempts over time",
    args: {
      window: t.arg.string({ required: true, ...healthArgs.window }),
      bucket: t.arg.string({ required: true, ...healthArgs.bucket }),
    },
    resolve: (w, a, ctx) => healthSeries(ctx.app, w.accountId, w.id, a.window, a.bucket),
  }),
}));

builder.queryFields((t) => ({
  deliveryHealth: t.field({
    type: HealthSeriesRef,
    description: "Your account's delivery attempts over time, all webhooks together",
    args: {
      window: t.arg.string({ required: true, ...healthArgs.window }),
      bucket: t.arg.string({ required: true, ...healthArgs.bucket }),
    },
    resolve: (_r, a, ctx) => healthSeries(ctx.app, callerOf(ctx).accountId, null, a.window, a.bucket),
  }),
}));
