import { builder } from './builder.js';
import { callerOf } from '../server/context.js';
import { previewRouting, type RoutingDecision, type RoutingMiss, type RoutingPreview } from '../domain/routing.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import { WebhookRef } from './webhook.js';

const RoutingMissReasonEnum = builder.enumType('RoutingMissReason', {
  description: 'Why an event would not reach a webhook',
  values: {
    STATE: { description: 'The webhook is not ACTIVE' },
    TYPE: { description: 'It does not subscribe to the event type (nor to "*")' },
    CHANNEL: { description: 'It listens on channels and the event is on none of them' },
    FILTER: { description: "The payload does not match the webhook's content filter" },
  } as const,
});

const RoutingMissRef = builder.objectRef<RoutingMiss>('RoutingMiss').implement({
  fields: (t) => ({
    reason: t.field({ type: RoutingMissReasonEnum, resolve: (m) => m.reason }),
    message: t.exposeString('message', { description: 'Such as "amount is 40; it must be > 100"' }),
    path: t.exposeStringList('path', {
      nullable: true,
      description: 'FILTER: the condition that failed, as its path in the webhook\'s filter (such as ["amount", "$gt"])',
    }),
  }),
});

const RoutingDecisionRef = builder.objectRef<RoutingDecision>('RoutingDecision').implement({
  description: 'Whether the event would reach one webhook, and if not, every reason why not',
  fields: (t) => ({
    webhook: t.field({ type: WebhookRef, resolve: (d) => d.webhook }),
    reached: t.exposeBoolean('reached'),
    misses: t.field({ type: [RoutingMissRef], description: 'Empty when reached', resolve: (d) => d.misses }),
  }),
});

const PreviewRoutingInput = builder.inputType('PreviewRoutingInput', {
  description: 'An event as publishEvent would take it',
  fields: (t) => ({
    type: t.string({ required: true }),
    payload: t.field({ type: 'JSON', required: true }),
    channels: t.stringList(),
  }),
});

const RoutingPreviewPayload = builder.objectRef<Payload<RoutingPreview>>('RoutingPreview').implement({
  description: 'Which webhooks an event would reach; nothing is published',
  fields: (t) => ({
    deliveryCount: t.int({
      description: 'How many webhooks it would reach (publishEvent would answer the same)',
      resolve: (p) => p.deliveryCount ?? 0,
    }),
    decisions: t.field({
      type: [RoutingDecisionRef],
      description: 'One per webhook in your account: those reached first, then by name',
      resolve: (p) => p.decisions ?? [],
    }),
    userErrors: userErrorsField(t),
  }),
});

builder.queryFields((t) => ({
  previewRouting: t.field({
    type: RoutingPreviewPayload,
    description:
      'Which webhooks this event would reach if published now, and for each one it would not, why (state, type, channel or filter). Checks the input as publishEvent does',
    // Like publishEvent's: the input holds a whole payload, which the complexity check need not map.
    complexity: 1,
    args: { input: t.arg({ type: PreviewRoutingInput, required: true }) },
    resolve: async (_r, { input }, ctx) => toPayload(await previewRouting(ctx.app, callerOf(ctx), input), (v) => v),
  }),
}));
