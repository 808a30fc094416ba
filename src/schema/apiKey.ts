import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../domain/accounts/apiKeys.js';
import { AssociateRef } from './associate.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import type { ApiKey } from '../generated/prisma/client.js';

export const ApiKeyRef = builder.prismaObject('ApiKey', {
  interfaces: [NodeRef],
  description: 'An API key. The key itself is shown once, by createApiKey, and never again',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    application: t.exposeString('application', { nullable: true, description: 'The application this key acts for, if any' }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to recognise it' }),
    lastFour: t.exposeString('lastFour', { description: 'The last four characters of the key' }),
    associate: t.field({
      type: AssociateRef,
      description: 'The associate whose role the key acts with',
      resolve: async (k, _a, ctx) => (await ctx.loaders.associate.load(k.associateId))!,
    }),
    createdBy: t.field({
      type: AssociateRef,
      resolve: async (k, _a, ctx) => (await ctx.loaders.associate.load(k.createdById))!,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    revoked: t.boolean({ resolve: (k) => k.revokedAt !== null }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyRef],
    description: "Your account's API keys, newest first",
    resolve: (_r, _a, ctx) => listApiKeys(ctx.app, callerOf(ctx)),
  }),
}));

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    application: t.string({ description: 'Name the application this key acts for' }),
    associateId: t.id({ description: 'Who the key acts for; defaults to you' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<Payload<{ apiKey: ApiKey; key: string }>>('CreateApiKeyPayload').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, nullable: true, resolve: (p) => p.apiKey ?? null }),
    key: t.string({ nullable: true, description: 'The key. Shown only here: store it now', resolve: (p) => p.key ?? null }),
    userErrors: userErrorsField(t),
  }),
});

const RevokeApiKeyPayload = builder.objectRef<Payload<{ apiKey: ApiKey }>>('RevokeApiKeyPayload').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, nullable: true, resolve: (p) => p.apiKey ?? null }),
    userErrors: userErrorsField(t),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_r, { input }, ctx) => toPayload(await createApiKey(ctx.app, callerOf(ctx), input), (v) => v),
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyPayload,
    description: 'Revoke a key; it stops working at once',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => toPayload(await revokeApiKey(ctx.app, callerOf(ctx), id), (apiKey) => ({ apiKey })),
  }),
}));
