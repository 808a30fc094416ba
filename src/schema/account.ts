// The account (tenant) itself: its admins read and rename it, and a
// platform-level key creates new ones (createAccount).
import { builder } from './builder.js';
import { NodeRef } from './nodeInterface.js';
import { callerOf } from '../server/context.js';
import { getAccount, provisionAccount, updateAccount } from '../domain/accounts/accounts.js';
import { fail } from '../base/errors.js';
import { AssociateRef } from './associate.js';
import { toPayload, userErrorsField, type Payload } from './userError.js';
import type { Account, Associate } from '../generated/prisma/client.js';

export const AccountRef = builder.prismaObject('Account', {
  interfaces: [NodeRef],
  description: 'An account (tenant): everything else belongs to one',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'Unique across the service' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  account: t.field({
    type: AccountRef,
    description: 'The account your key belongs to',
    resolve: (_r, _a, ctx) => getAccount(ctx.app, callerOf(ctx)),
  }),
}));

const UpdateAccountInput = builder.inputType('UpdateAccountInput', {
  fields: (t) => ({
    name: t.string({ description: 'A letter or digit, at most 100 characters, unique across the service' }),
  }),
});

const AccountPayload = builder.objectRef<Payload<{ account: Account }>>('AccountPayload').implement({
  fields: (t) => ({
    account: t.field({ type: AccountRef, nullable: true, resolve: (p) => p.account ?? null }),
    userErrors: userErrorsField(t),
  }),
});

const CreateAccountInput = builder.inputType('CreateAccountInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'A letter or digit, at most 100 characters, unique across the service' }),
    adminName: t.string({ description: 'The first ADMIN\'s name; "Admin" when left out' }),
    adminEmail: t.string({ description: "The first ADMIN's email; admin@<name>.invalid when left out" }),
  }),
});

const CreateAccountPayload = builder
  .objectRef<Payload<{ account: Account; associate: Associate; key: string }>>('CreateAccountPayload')
  .implement({
    description: "A new account, its first ADMIN and that ADMIN's API key",
    fields: (t) => ({
      account: t.field({ type: AccountRef, nullable: true, resolve: (p) => p.account ?? null }),
      associate: t.field({ type: AssociateRef, nullable: true, description: 'The first ADMIN', resolve: (p) => p.associate ?? null }),
      key: t.string({
        nullable: true,
        description: "The first ADMIN's API key, for everything else in the new account. Shown only here: store it now",
        resolve: (p) => p.key ?? null,
      }),
      userErrors: userErrorsField(t),
    }),
  });

builder.mutationFields((t) => ({
  updateAccount: t.field({
    type: AccountPayload,
    description: 'Rename your account (admins only)',
    args: { input: t.arg({ type: UpdateAccountInput, required: true }) },
    resolve: async (_r, { input }, ctx) => toPayload(await updateAccount(ctx.app, callerOf(ctx), input), (account) => ({ account })),
  }),
  createAccount: t.field({
    type: CreateAccountPayload,
    description:
      'Create an account with its first ADMIN and their API key. Needs a platform-level key (npm run admin -- create-platform-key), the only thing such a key can do',
    args: { input: t.arg({ type: CreateAccountInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      if (!ctx.platform) {
        return toPayload(
          fail(
            'FORBIDDEN',
            "createAccount needs a platform-level key (npm run admin -- create-platform-key); an account's keys cannot create accounts",
          ),
          () => ({}),
        );
      }
      return toPayload(await provisionAccount(ctx.app, ctx.platform, input), ({ account, associate, key }) => ({
        account,
        associate,
        key,
      }));
    },
  }),
}));
