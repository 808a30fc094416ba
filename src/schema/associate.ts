import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { createAssociate, deleteAssociate, listAssociates, updateAssociate } from '../domain/accounts/associates.js';
import { Role } from '../generated/prisma/enums.js';
import { successField, toPayload, userErrorsField, type Payload } from './userError.js';
import type { Associate } from '../generated/prisma/client.js';

export const RoleEnum = builder.enumType(Role, {
  name: 'Role',
  description: 'ADMIN manages webhooks, keys, associates and event types; MEMBER can only read',
});

export const AssociateRef = builder.prismaObject('Associate', {
  interfaces: [NodeRef],
  description: 'A person or application user in an account',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    role: t.expose('role', { type: RoleEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    deletedAt: t.expose('deletedAt', {
      type: 'DateTime',
      nullable: true,
      description: "Set once deleteAssociate removed them; history (such as a webhook's registeredAssociate) still names them",
    }),
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

const UpdateAssociateInput = builder.inputType('UpdateAssociateInput', {
  description: 'The fields to change; the others stay as they are',
  fields: (t) => ({
    name: t.string(),
    email: t.string({ description: 'Unique in the account' }),
    role: t.field({ type: RoleEnum, description: 'An ADMIN becomes MEMBER only while another ADMIN remains' }),
  }),
});

const UpdateAssociatePayload = builder.objectRef<Payload<{ associate: Associate }>>('UpdateAssociatePayload').implement({
  fields: (t) => ({
    associate: t.field({ type: AssociateRef, nullable: true, resolve: (p) => p.associate ?? null }),
    userErrors: userErrorsField(t),
  }),
});

type Deleted = { deletedAssociateId: string; reassignedWebhookIds: string[]; reassignedApiKeyIds: string[] };

const DeleteAssociatePayload = builder.objectRef<Payload<Deleted>>('DeleteAssociatePayload').implement({
  fields: (t) => ({
    deletedAssociateId: t.id({ nullable: true, resolve: (p) => p.deletedAssociateId ?? null }),
    reassignedWebhookIds: t.idList({ description: 'The webhooks reassignTo now owns', resolve: (p) => p.reassignedWebhookIds ?? [] }),
    reassignedApiKeyIds: t.idList({ description: 'The API keys that now act as reassignTo', resolve: (p) => p.reassignedApiKeyIds ?? [] }),
    success: successField(t),
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
  updateAssociate: t.field({
    type: UpdateAssociatePayload,
    description: 'Change name, email or role. Records associate.updated, and role.changed when the role changes',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateAssociateInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) =>
      toPayload(await updateAssociate(ctx.app, callerOf(ctx), id, input), (associate) => ({ associate })),
  }),
  deleteAssociate: t.field({
    type: DeleteAssociatePayload,
    description:
      'Remove someone from the account. The webhooks they own and the API keys that act as them go to reassignTo, which is required when there are any; console links they made are revoked. Records associate.deleted. The last ADMIN cannot be deleted',
    args: {
      id: t.arg.id({ required: true }),
      reassignTo: t.arg.id({ description: 'The associate who takes over their webhooks and API keys' }),
    },
    resolve: async (_root, { id, reassignTo }, ctx) =>
      toPayload(await deleteAssociate(ctx.app, callerOf(ctx), id, reassignTo), (d) => ({
        deletedAssociateId: d.associate.id,
        reassignedWebhookIds: d.reassignedWebhookIds,
        reassignedApiKeyIds: d.reassignedApiKeyIds,
      })),
  }),
}));
