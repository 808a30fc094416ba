import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { AssociateRef } from './associate.js';
import { EventTypeRef } from './eventType.js';
import { successField, toPayload, userErrorsField, type Payload } from './userError.js';
import { CircuitState, WebhookState } from '../generated/prisma/enums.js';
import { webhookChannels, type Webhook } from '../db/stores/webhooks.js';
import {
  createWebhook,
  deleteWebhook,
  deleteWebhooksByUrl,
  getWebhook,
  rotateWebhookSecret,
  setWebhookActive,
  updateWebhook,
  webhookDefaults,
} from '../domain/webhooks/service.js';
import { shownHeaders } from '../domain/webhooks/headers.js';
import { listWebhookConnection, listWebhookPage, type WebhookPageResult } from '../domain/webhooks/list.js';
import { connectionType } from './connection.js';
import { MAX_CONCURRENCY, MAX_RATE_LIMIT, MAX_RETRY_DELAY_S, MAX_RETRY_STEPS, MAX_TIMEOUT_MS } from '../domain/webhooks/deliveryPolicy.js';

export const WebhookStateEnum = builder.enumType(WebhookState, {
  name: 'WebhookState',
  description: 'ACTIVE receives events; STOPPED was turned off; TOO_MANY_ERRORS was turned off by Hookline after failures',
});

const CircuitStateEnum = builder.enumType(CircuitState, {
  name: 'CircuitState',
  description: 'CLOSED delivers; OPEN pauses deliveries after a run of failures; HALF_OPEN has one probe delivery in flight',
});

const WebhookCircuitRef = builder.objectRef<Webhook>('WebhookCircuit').implement({
  description:
    "The webhook's circuit breaker: opened by AUTO_DISABLE_AFTER failed attempts in a row, probed after a cool-down, closed by a success",
  fields: (t) => ({
    state: t.field({ type: CircuitStateEnum, resolve: (w) => w.circuitState }),
    openedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it opened, in this run of failures (failed probes keep it); null when CLOSED',
      resolve: (w) => w.circuitOpenedAt,
    }),
    nextProbeAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'OPEN: when the next probe delivery may be sent. HALF_OPEN: when an unanswered probe counts as lost. Null when CLOSED',
      resolve: (w) => w.circuitNextProbeAt,
    }),
  }),
});

export const WebhookRef = builder.prismaObject('Webhook', {
  interfaces: [NodeRef],
  description: 'A subscription: events of the listed types are POSTed to targetUrl',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    targetUrl: t.exposeString('targetUrl'),
    events: t.stringList({
      description: 'Subscribed event types; "*" means every event',
      resolve: (w, _a, ctx) => ctx.loaders.webhookEvents.load(w.id),
    }),
    eventTypes: t.field({
      type: [EventTypeRef],
      description: 'The catalog entries of the subscribed event types, with their groups (for "*", the whole catalog), by group then name',
      resolve: (w, _a, ctx) => ctx.loaders.webhookEventTypes.load(w.id),
    }),
    state: t.expose('state', { type: WebhookStateEnum }),
    isActive: t.boolean({ resolve: (w) => w.state === 'ACTIVE' }),
    stateReason: t.exposeString('stateReason', { nullable: true, description: 'Why the state last changed' }),
    stateChangedAt: t.expose('stateChangedAt', { type: 'DateTime' }),
    type: t.exposeString('type'),
    headers: t.field({
      type: 'JSONObject',
      description:
        'Custom HTTP headers sent with every delivery. The values of sensitive headers (see sensitiveHeaders) read as "********"; send that back in updateWebhook to keep the saved value',
      resolve: (w, _a, ctx) => shownHeaders(ctx.app, w).headers,
    }),
    sensitiveHeaders: t.stringList({
      description:
        'Names of the headers whose values are never shown again once saved: Authorization, Proxy-Authorization, Cookie, any name containing token, secret, key, auth, password or signature, and those an admin marked',
      resolve: (w, _a, ctx) => shownHeaders(ctx.app, w).sensitiveHeaders,
    }),
    properties: t.field({
      type: 'JSONObject',
      description: 'Values merged into every delivery body',
      resolve: (w) => w.properties as object,
    }),
    channels: t.stringList({
      description:
        'Channels it listens on: it receives only events published to at least one of them. Empty: events whatever their channels',
      resolve: (w) => webhookChannels(w),
    }),
    filter: t.field({
      type: 'JSONObject',
      nullable: true,
      description:
        'A content filter the event payload must match (see the README, "Routing: channels and content filters"); null: every payload',
      // Saved as the JSON text it was given (src/base/payloadFilter.ts); always an object.
      resolve: (w) => (w.filter === null ? null : (JSON.parse(w.filter) as object)),
    }),
    isApplicationManaged: t.exposeBoolean('isApplicationManaged'),
    managingApplication: t.exposeString('managingApplication', { nullable: true }),
    owner: t.field({ type: AssociateRef, resolve: async (w, _a, ctx) => (await ctx.loaders.associate.load(w.ownerId))! }),
    registered: t.expose('registeredAt', { type: 'DateTime' }),
    registeredAssociate: t.field({
      type: AssociateRef,
      resolve: async (w, _a, ctx) => (await ctx.loaders.associate.load(w.registeredById))!,
    }),
    updated: t.expose('updatedAt', { type: 'DateTime' }),
    // WhautoChat's names for registered and updated (the same values).
    createdAt: t.expose('registeredAt', { type: 'DateTime', description: 'When it was created: the same as registered' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed: the same as updated' }),
    updatedAssociate: t.field({
      type: AssociateRef,
      resolve: async (w, _a, ctx) => (await ctx.loaders.associate.load(w.updatedById))!,
    }),
    // Delivery policy: null means the global setting (see webhookDefaults).
    retrySchedule: t.field({
      type: ['Int'],
      nullable: true,
      description: 'Seconds before each retry after the first attempt (±20% jitter); null: the global RETRY_SCHEDULE',
      resolve: (w) => w.retrySchedule as number[] | null,
    }),
    timeoutMs: t.exposeInt('timeoutMs', { nullable: true, description: 'Timeout of one delivery request; null: DELIVERY_TIMEOUT_MS' }),
    maxConcurrency: t.exposeInt('maxConcurrency', {
      nullable: true,
      description: 'Deliveries in flight at once per instance; null: WEBHOOK_CONCURRENCY',
    }),
    circuit: t.field({ type: WebhookCircuitRef, resolve: (w) => w }),
    ordered: t.exposeBoolean('ordered', {
      description: 'Deliveries one at a time in event order; a failing one blocks those behind it until it succeeds or fails for good',
    }),
    rateLimit: t.exposeInt('rateLimit', {
      nullable: true,
      description: 'Deliveries per second at most, across all instances (no 1-second window at the receiver holds more); null: no limit',
    }),
  }),
});

const WebhookConnectionRef = connectionType('Webhook', WebhookRef, { description: 'Webhooks matching the filter, across all pages' });

const WebhookPageRef = builder.objectRef<WebhookPageResult>('WebhookPage').implement({
  description: 'A page of webhooks, for limit/page style clients',
  fields: (t) => ({
    items: t.field({ type: [WebhookRef], complexity: { field: 0, multiplier: 1 }, resolve: (p) => p.items }),
    page: t.exposeInt('page'),
    limit: t.exposeInt('limit'),
    totalCount: t.exposeInt('totalCount'),
  }),
});

const WebhookFilter = builder.inputType('WebhookFilter', {
  fields: (t) => ({
    state: t.field({ type: WebhookStateEnum }),
    event: t.string({ description: 'Only webhooks that receive this event type (including "*" subscribers)' }),
    search: t.string({ description: 'Substring of the name or target URL' }),
  }),
});

const WebhookOrderField = builder.enumType('WebhookOrderField', {
  values: ['NAME', 'TARGET_URL', 'OWNER', 'REGISTERED', 'STATE'] as const,
});

export const OrderDirection = builder.enumType('OrderDirection', { values: ['ASC', 'DESC'] as const });

const WebhookOrder = builder.inputType('WebhookOrder', {
  fields: (t) => ({
    field: t.field({ type: WebhookOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true, defaultValue: 'ASC' }),
  }),
});

const WebhookDefaultsRef = builder.objectRef<ReturnType<typeof webhookDefaults>>('WebhookDefaults').implement({
  description:
    "Every field a new webhook gets, as SuperOffice's CreateDefaultWebhook returns them: what the input must supply is empty, the rest is what it gets when the input leaves it out",
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Empty: a name is required' }),
    targetUrl: t.exposeString('targetUrl', { description: 'Empty: a target URL is required' }),
    secret: t.exposeString('secret', { nullable: true, description: 'Null: one is generated unless the input gives one' }),
    state: t.field({ type: WebhookStateEnum, resolve: (d) => d.state }),
    isActive: t.exposeBoolean('isActive'),
    type: t.exposeString('type'),
    events: t.exposeStringList('events'),
    headers: t.field({ type: 'JSONObject', resolve: (d) => d.headers }),
    sensitiveHeaders: t.exposeStringList('sensitiveHeaders'),
    properties: t.field({ type: 'JSONObject', resolve: (d) => d.properties }),
    isApplicationManaged: t.exposeBoolean('isApplicationManaged'),
    channels: t.exposeStringList('channels'),
    filter: t.field({ type: 'JSONObject', nullable: true, resolve: (d) => d.filter }),
    retrySchedule: t.field({
      type: ['Float'],
      description: 'The global retry schedule (RETRY_SCHEDULE), in seconds; it may hold fractions, an override only whole seconds',
      resolve: (d) => d.retrySchedule,
    }),
    timeoutMs: t.exposeInt('timeoutMs', { description: 'DELIVERY_TIMEOUT_MS' }),
    maxConcurrency: t.exposeInt('maxConcurrency', { description: 'WEBHOOK_CONCURRENCY (per instance)' }),
    rateLimit: t.int({ nullable: true, description: 'Always null: there is no global rate limit', resolve: (d) => d.rateLimit }),
    ordered: t.exposeBoolean('ordered', { description: 'Always false: ordered delivery is opt-in per webhook' }),
  }),
});

builder.queryFields((t) => ({
  webhook: t.field({
    type: WebhookRef,
    nullable: true,
    description: 'A webhook in your account, or null',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => getWebhook(ctx.app, callerOf(ctx), id),
  }),
  webhooks: t.field({
    type: WebhookConnectionRef,
    description: 'Your webhooks, a page at a time (first at most 100); newest first unless orderBy says otherwise',
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      last: t.arg.int(),
      before: t.arg.string(),
      filter: t.arg({ type: WebhookFilter }),
      orderBy: t.arg({ type: WebhookOrder }),
    },
    resolve: (_r, args, ctx) => listWebhookConnection(ctx.app, callerOf(ctx).accountId, args, args.filter, args.orderBy),
  }),
  webhooksPage: t.field({
    type: WebhookPageRef,
    description: 'Your webhooks by page number (1-based), limit at most 100',
    args: {
      limit: t.arg.int(),
      page: t.arg.int(),
      filter: t.arg({ type: WebhookFilter }),
      orderBy: t.arg({ type: WebhookOrder }),
    },
    resolve: (_r, a, ctx) => listWebhookPage(ctx.app, callerOf(ctx).accountId, a.limit, a.page, a.filter, a.orderBy),
  }),
  webhookDefaults: t.field({
    type: WebhookDefaultsRef,
    resolve: (_r, _a, ctx) => {
      callerOf(ctx);
      return webhookDefaults(ctx.app.config);
    },
  }),
}));

/** The delivery policy inputs, shared by create and update. */
const POLICY_DOCS = {
  retrySchedule: `Seconds before each retry after the first attempt (0 to ${MAX_RETRY_DELAY_S}, at most ${MAX_RETRY_STEPS}; [] never retries); unset: RETRY_SCHEDULE`,
  timeoutMs: `Timeout of one delivery request, 1 to ${MAX_TIMEOUT_MS}; unset: DELIVERY_TIMEOUT_MS`,
  maxConcurrency: `Deliveries in flight at once per instance, 1 to ${MAX_CONCURRENCY}; unset: WEBHOOK_CONCURRENCY`,
  rateLimit: `Deliveries per second at most, across all instances, 1 to ${MAX_RATE_LIMIT}; unset: no limit`,
  ordered: 'Deliveries one at a time in event order, a failing one blocking those behind it; unset: false',
};

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Unique in the account, ignoring case' }),
    targetUrl: t.string({ required: true, description: 'An https URL on the public internet' }),
    events: t.stringList({ required: true, description: 'Event types from the catalog, or ["*"]' }),
    isActive: t.boolean({ defaultValue: true }),
    headers: t.field({ type: 'JSON', description: 'Custom headers, as an object of string values' }),
    sensitiveHeaders: t.stringList({
      description: 'Names among headers to treat as sensitive besides those sensitive by name: their values are never shown again',
    }),
    properties: t.field({ type: 'JSON', description: 'An object merged into every delivery body' }),
    isApplicationManaged: t.boolean({
      defaultValue: false,
      description: "Lock the webhook to your API key's application",
    }),
    ownerId: t.id({ description: 'The owning associate; defaults to you' }),
    secret: t.string({
      description:
        'Your own signing secret ("shared secret key"): at least 24 visible ASCII characters, or "whsec_" and base64 of 24 to 64 bytes. Generated when left out; returned only by this mutation',
    }),
    type: t.string({ description: 'The name of the handler (SuperOffice\'s plugin name); "webhook" when left out' }),
    channels: t.stringList({
      description: 'Receive only events published to at least one of these channels; none: events whatever their channels',
    }),
    filter: t.field({
      type: 'JSON',
      description:
        'Receive only events whose payload matches this content filter (see the README, "Routing: channels and content filters")',
    }),
    retrySchedule: t.intList({ description: POLICY_DOCS.retrySchedule }),
    timeoutMs: t.int({ description: POLICY_DOCS.timeoutMs }),
    maxConcurrency: t.int({ description: POLICY_DOCS.maxConcurrency }),
    rateLimit: t.int({ description: POLICY_DOCS.rateLimit }),
    ordered: t.boolean({ description: POLICY_DOCS.ordered }),
  }),
});

const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  fields: (t) => ({
    name: t.string(),
    targetUrl: t.string(),
    events: t.stringList(),
    headers: t.field({
      type: 'JSON',
      description:
        'Replaces every custom header: one left out or set to null is removed; "********" (the masked value) keeps the saved value of that header',
    }),
    sensitiveHeaders: t.stringList({
      description:
        'Header names to mark sensitive, added to the earlier marks. A mark is removed only with its header, since a value saved as sensitive is never shown again',
    }),
    properties: t.field({ type: 'JSON' }),
    ownerId: t.id(),
    type: t.string({ description: 'The name of the handler' }),
    isActive: t.boolean({
      description: 'Turn it on or off, as setWebhookActive does (turning it on also clears TOO_MANY_ERRORS); left as it is when omitted',
    }),
    channels: t.stringList({ description: 'Replaces the channels; [] listens on every channel again' }),
    filter: t.field({ type: 'JSON', description: 'Replaces the content filter; null removes it' }),
    retrySchedule: t.intList({ description: `${POLICY_DOCS.retrySchedule}. null: back to the global setting` }),
    timeoutMs: t.int({ description: `${POLICY_DOCS.timeoutMs}. null: back to the global setting` }),
    maxConcurrency: t.int({ description: `${POLICY_DOCS.maxConcurrency}. null: back to the global setting` }),
    rateLimit: t.int({ description: `${POLICY_DOCS.rateLimit}. null: no limit` }),
    ordered: t.boolean({ description: `${POLICY_DOCS.ordered}. null: false` }),
  }),
});

const WebhookPayload = builder.objectRef<Payload<{ webhook: Webhook }>>('WebhookPayload').implement({
  fields: (t) => ({
    webhook: t.field({ type: WebhookRef, nullable: true, resolve: (p) => p.webhook ?? null }),
    userErrors: userErrorsField(t),
  }),
});

const WebhookSecretPayload = builder.objectRef<Payload<{ webhook: Webhook; secret: string }>>('WebhookSecretPayload').implement({
  description: 'A webhook and its signing secret, which is shown only here',
  fields: (t) => ({
    webhook: t.field({ type: WebhookRef, nullable: true, resolve: (p) => p.webhook ?? null }),
    secret: t.string({ nullable: true, resolve: (p) => p.secret ?? null }),
    userErrors: userErrorsField(t),
  }),
});

const DeleteWebhookPayload = builder.objectRef<Payload<{ deletedWebhookId: string }>>('DeleteWebhookPayload').implement({
  fields: (t) => ({
    deletedWebhookId: t.id({ nullable: true, resolve: (p) => p.deletedWebhookId ?? null }),
    success: successField(t),
    userErrors: userErrorsField(t),
  }),
});

const DeleteWebhooksByUrlPayload = builder.objectRef<Payload<{ deletedWebhookIds: string[] }>>('DeleteWebhooksByUrlPayload').implement({
  fields: (t) => ({
    deletedWebhookIds: t.idList({ resolve: (p) => p.deletedWebhookIds ?? [] }),
    success: successField(t),
    userErrors: userErrorsField(t),
  }),
});

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: WebhookSecretPayload,
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: async (_r, { input }, ctx) => toPayload(await createWebhook(ctx.app, callerOf(ctx), input), (v) => v),
  }),
  updateWebhook: t.field({
    type: WebhookPayload,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateWebhookInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) =>
      toPayload(await updateWebhook(ctx.app, callerOf(ctx), id, input), (webhook) => ({ webhook })),
  }),
  setWebhookActive: t.field({
    type: WebhookPayload,
    description: 'Turn a webhook on or off. Turning it on also clears TOO_MANY_ERRORS',
    args: { id: t.arg.id({ required: true }), active: t.arg.boolean({ required: true }) },
    resolve: async (_r, { id, active }, ctx) =>
      toPayload(await setWebhookActive(ctx.app, callerOf(ctx), id, active), (webhook) => ({ webhook })),
  }),
  deleteWebhook: t.field({
    type: DeleteWebhookPayload,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) =>
      toPayload(await deleteWebhook(ctx.app, callerOf(ctx), id), (deletedWebhookId) => ({ deletedWebhookId })),
  }),
  deleteWebhooksByUrl: t.field({
    type: DeleteWebhooksByUrlPayload,
    description: 'Delete every webhook in your account whose targetUrl is exactly this URL',
    args: { url: t.arg.string({ required: true }) },
    resolve: async (_r, { url }, ctx) =>
      toPayload(await deleteWebhooksByUrl(ctx.app, callerOf(ctx), url), (deletedWebhookIds) => ({ deletedWebhookIds })),
  }),
  rotateWebhookSecret: t.field({
    type: WebhookSecretPayload,
    description: 'Issue a new secret, or set your own. The old one keeps signing for SECRET_ROTATION_GRACE',
    args: {
      id: t.arg.id({ required: true }),
      secret: t.arg.string({
        description:
          'Your own new secret (the rules of CreateWebhookInput.secret); generated when left out. Returned only by this mutation',
      }),
    },
    resolve: async (_r, { id, secret }, ctx) => toPayload(await rotateWebhookSecret(ctx.app, callerOf(ctx), id, secret), (v) => v),
  }),
}));
