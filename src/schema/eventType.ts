import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { createEventType, listEventTypes, type EventTypeInfo } from '../domain/catalog.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';

export const EventTypeRef = builder.objectRef<EventTypeInfo>('EventType').implement({
  interfaces: [NodeRef],
  description: 'An event a webhook can subscribe to',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'Such as contact.created' }),
    group: t.exposeString('group', { description: 'The heading it is listed under, such as Users' }),
    description: t.exposeString('description'),
    builtIn: t.exposeBoolean('builtIn'),
  }),
});

builder.queryFields((t) => ({
  eventTypes: t.field({
    type: [EventTypeRef],
    description: 'The event catalog, sorted by group and then name',
    args: { group: t.arg.string() },
    resolve: (_r, { group }, ctx) => listEventTypes(ctx.app, callerOf(ctx).accountId, group),
  }),
}));

const CreateEventTypeInput = builder.inputType('CreateEventTypeInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    group: t.string({ required: true }),
    description: t.string(),
  }),
});

const CreateEventTypePayload = builder.objectRef<Payload<{ eventType: EventTypeInfo }>>('CreateEventTypePayload').implement({
  fields: (t) => ({
    eventType: t.field({ type: EventTypeRef, nullable: true, resolve: (p) => p.eventType ?? null }),
    userErrors: userErrorsField(t),
  }),
});

builder.mutationFields((t) => ({
  createEventType: t.field({
    type: CreateEventTypePayload,
    args: { input: t.arg({ type: CreateEventTypeInput, required: true }) },
    resolve: async (_r, { input }, ctx) => toPayload(await createEventType(ctx.app, callerOf(ctx), input), (eventType) => ({ eventType })),
  }),
}));
