import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import {
  createConsoleLink,
  DEFAULT_LINK_SECONDS,
  listConsoleLinks,
  MAX_LINK_SECONDS,
  revokeConsoleLink,
} from '../domain/accounts/consoleLinks.js';
import { AssociateRef, RoleEnum } from './associate.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import type { ConsoleLink } from '../generated/prisma/client.js';

export const ConsoleLinkRef = builder.prismaObject('ConsoleLink', {
  interfaces: [NodeRef],
  description:
    'A link that signs a person into the console with a role, until it expires or is revoked. Its URL is shown once, by createConsoleLink',
  fields: (t) => ({
    id: t.exposeID('id'),
    role: t.expose('role', { type: RoleEnum, description: 'The role the person signed in with the link acts with' }),
    createdBy: t.field({
      type: AssociateRef,
      description: 'The admin who made the link; the link acts on their behalf',
      resolve: async (l, _a, ctx) => (await ctx.loaders.associate.load(l.createdById))!,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryFields((t) => ({
  consoleLinks: t.field({
    type: [ConsoleLinkRef],
    description: "Your account's console links, newest first (admins only). Their tokens are never shown again",
    resolve: async (_r, _a, ctx) => {
      const result = await listConsoleLinks(ctx.app, callerOf(ctx));
      if (!result.ok) throw new GraphQLError(result.errors[0].message, { extensions: { code: 'FORBIDDEN' } });
      return result.value;
    },
  }),
}));

const CreateConsoleLinkInput = builder.inputType('CreateConsoleLinkInput', {
  fields: (t) => ({
    role: t.field({ type: RoleEnum, required: true, description: 'The role the person signed in with the link acts with' }),
    expiresIn: t.int({
      description: `Seconds until the link stops working: ${DEFAULT_LINK_SECONDS} (1 hour) by default, at most ${MAX_LINK_SECONDS} (7 days)`,
    }),
  }),
});

const CreateConsoleLinkPayload = builder
  .objectRef<Payload<{ consoleLink: ConsoleLink; url: string }>>('CreateConsoleLinkPayload')
  .implement({
    fields: (t) => ({
      consoleLink: t.field({ type: ConsoleLinkRef, nullable: true, resolve: (p) => p.consoleLink ?? null }),
      url: t.string({
        nullable: true,
        description: 'The link (PUBLIC_URL/#link=…) that signs a person in. Shown only here: hand it over now',
        resolve: (p) => p.url ?? null,
      }),
      userErrors: userErrorsField(t),
    }),
  });

const RevokeConsoleLinkPayload = builder.objectRef<Payload<{ consoleLink: ConsoleLink }>>('RevokeConsoleLinkPayload').implement({
  fields: (t) => ({
    consoleLink: t.field({ type: ConsoleLinkRef, nullable: true, resolve: (p) => p.consoleLink ?? null }),
    userErrors: userErrorsField(t),
  }),
});

builder.mutationFields((t) => ({
  createConsoleLink: t.field({
    type: CreateConsoleLinkPayload,
    description: 'Make a link that signs a person into the console for your account with a role, without an API key (admins only)',
    args: { input: t.arg({ type: CreateConsoleLinkInput, required: true }) },
    resolve: async (_r, { input }, ctx) => toPayload(await createConsoleLink(ctx.app, callerOf(ctx), input), (v) => v),
  }),
  revokeConsoleLink: t.field({
    type: RevokeConsoleLinkPayload,
    description: 'Revoke a console link: it stops working at once and its open streams end',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => toPayload(await revokeConsoleLink(ctx.app, callerOf(ctx), id), (consoleLink) => ({ consoleLink })),
  }),
}));
