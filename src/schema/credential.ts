// Query.credential: what the credential of this request lets its holder do.
// A console link acts for the admin who made it but with the link's own
// role, so Query.viewer (the associate) cannot tell a client such as the
// console whether to offer changes; and a key's application decides which
// application-managed webhooks it may change.
import { builder } from './builder.js';
import { callerOf } from '../server/context.js';
import { RoleEnum } from './associate.js';
import type { Caller } from '../base/caller.js';

const CredentialKind = builder.enumType('CredentialKind', {
  description: 'API_KEY for a key sent in x-api-key or Authorization; CONSOLE_LINK for a console-link token',
  values: ['API_KEY', 'CONSOLE_LINK'] as const,
});

const CredentialRef = builder.objectRef<Caller>('Credential').implement({
  description: 'The credential this request was made with',
  fields: (t) => ({
    kind: t.field({ type: CredentialKind, resolve: (c) => (c.expiresAt ? 'CONSOLE_LINK' : 'API_KEY') }),
    role: t.field({
      type: RoleEnum,
      description: "The role it acts with (a console link's own role, which may be lower than its maker's)",
      resolve: (c) => c.role,
    }),
    application: t.string({
      nullable: true,
      description: 'The application an API key acts for: it alone changes the webhooks that application manages',
      resolve: (c) => c.application,
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it stops working (console links); null for API keys',
      resolve: (c) => c.expiresAt ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  credential: t.field({
    type: CredentialRef,
    description: 'The credential this request was made with: its kind, role, application and expiry',
    resolve: (_r, _a, ctx) => callerOf(ctx),
  }),
}));
