import { builder } from './builder.js';
import { callerOf } from '../server/context.js';
import { createAssociate, listAssociates } from '../domain/accounts/associates.js';
import { Role } from '../generated/prisma/enums.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import type { Associate } from '../generated/prisma/client.js';

export const RoleEnum = builder.enumType(Role, {
  name: 'Role',
  description: 'ADMIN manages webhooks, keys, associates and event types; MEMBER can only read',
});

export const AssociateRef = builder.prismaObject('Associate', {
  description: 'A person or application user in an account',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    role: t.expose('role', { type: RoleEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.prismaField({
    type: 'Associate',
    description: 'The associate the API key acts for',
    resolve: async (query, _root, _args, ctx) => {
      const caller = callerOf(ctx);
      return ctx.app.db.prisma.associate.findUniqueOrThrow({ ...query, where: { id: caller.associateId } });
    },
  }),
  associates: t.field({
    type: [AssociateRef],
    description: 'Everyone in your account, by name',
    resolve: (_root, _args, ctx) => listAssociates(ctx.app, callerOf(ctx)),
  }),
}));

const CreateAssociateInput = builder.inputType('CreateAssociateInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    email: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});

const CreateAssociatePayload = builder.objectRef<Payload<{ associate: Associate }>>('CreateAssociatePayload').implement({
  fields: (t) => ({
    associate: t.field({ type: AssociateRef, nullable: true, resolve: (p) => p.associate ?? null }),
    userErrors: userErrorsField(t),
  }),
});

builder.mutationFields((t) => ({
  createAssociate: t.field({
    type: CreateAssociatePayload,
    args: { input: t.arg({ type: CreateAssociateInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      toPayload(await createAssociate(ctx.app, callerOf(ctx), input), (associate) => ({ associate })),
  }),
}));
