import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { listEventTypes, type EventTypeInfo } from '../domain/catalog.js';
import { createEventType, deleteEventType, updateEventType } from '../domain/eventTypes.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';

// Saved as JSON text (src/base/payloadSchema.ts); always an object.
const parsed = (text: string | null) => (text === null ? null : (JSON.parse(text) as object));

export const EventTypeRef = builder.objectRef<EventTypeInfo>('EventType').implement({
  interfaces: [NodeRef],
  description: 'An event a webhook can subscribe to',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'Such as contact.created or CITA_CREATED' }),
    group: t.exposeString('group', { description: 'The heading it is listed under, such as Users' }),
    description: t.exposeString('description'),
    builtIn: t.exposeBoolean('builtIn'),
    schema: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'A JSON Schema (draft-07) every published payload of this type must match; null accepts any object',
      resolve: (e) => parsed(e.schema),
    }),
    example: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'An example payload (valid against schema), sent by sendExampleEvent and pingWebhook(type:)',
      resolve: (e) => parsed(e.example),
    }),
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
    name: t.string({ required: true, description: 'Letters, digits, ".", "_", "-" and ":", 1 to 100 characters' }),
    group: t.string({ required: true }),
    description: t.string(),
    schema: t.field({ type: 'JSON', description: 'A JSON Schema (draft-07) for the payload' }),
    example: t.field({ type: 'JSON', description: 'An example payload, valid against schema' }),
  }),
});

const UpdateEventTypeInput = builder.inputType('UpdateEventTypeInput', {
  description: 'Fields left out stay as they are; schema or example set to null removes it',
  fields: (t) => ({
    group: t.string(),
    description: t.string(),
    schema: t.field({ type: 'JSON' }),
    example: t.field({ type: 'JSON' }),
  }),
});

const eventTypePayload = (name: string) =>
  builder.objectRef<Payload<{ eventType: EventTypeInfo }>>(name).implement({
    fields: (t) => ({
      eventType: t.field({ type: EventTypeRef, nullable: true, resolve: (p) => p.eventType ?? null }),
      userErrors: userErrorsField(t),
    }),
  });
const CreateEventTypePayload = eventTypePayload('CreateEventTypePayload');
const UpdateEventTypePayload = eventTypePayload('UpdateEventTypePayload');

const DeleteEventTypePayload = builder.objectRef<Payload<{ deletedEventTypeId: string }>>('DeleteEventTypePayload').implement({
  fields: (t) => ({
    deletedEventTypeId: t.id({ nullable: true, resolve: (p) => p.deletedEventTypeId ?? null }),
    userErrors: userErrorsField(t),
  }),
});

builder.mutationFields((t) => ({
  createEventType: t.field({
    type: CreateEventTypePayload,
    args: { input: t.arg({ type: CreateEventTypeInput, required: true }) },
    resolve: async (_r, { input }, ctx) => toPayload(await createEventType(ctx.app, callerOf(ctx), input), (eventType) => ({ eventType })),
  }),
  updateEventType: t.field({
    type: UpdateEventTypePayload,
    description: "Change a custom event type's group, description, schema or example (built-in types are fixed)",
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateEventTypeInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) =>
      toPayload(await updateEventType(ctx.app, callerOf(ctx), String(id), input), (eventType) => ({ eventType })),
  }),
  deleteEventType: t.field({
    type: DeleteEventTypePayload,
    description: 'Delete a custom event type; refused with CONFLICT while a webhook subscribes to it by name',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) =>
      toPayload(await deleteEventType(ctx.app, callerOf(ctx), String(id)), (deletedEventTypeId) => ({ deletedEventTypeId })),
  }),
}));
