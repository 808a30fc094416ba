import type { ObjectRef } from '@pothos/core';
import { builder } from './builder.js';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export const PageInfoRef = builder.objectRef<PageInfo>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

export interface ConnectionShape<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

/** `<Name>Connection` and `<Name>Edge` types for a keyset-paged list. */
export function connectionType<T>(name: string, nodeRef: ObjectRef<Types, T>, countDescription?: string) {
  const edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: nodeRef, resolve: (e) => e.node as never }),
    }),
  });
  return builder.objectRef<ConnectionShape<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      // The paged parent field already multiplies by the page size.
      edges: t.field({ type: [edge], complexity: { field: 0, multiplier: 1 }, resolve: (c) => c.edges }),
      nodes: t.field({ type: [nodeRef], complexity: { field: 0, multiplier: 1 }, resolve: (c) => c.edges.map((e) => e.node) }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (c) => c.pageInfo }),
      totalCount: t.int({ description: countDescription, resolve: (c) => c.totalCount() }),
    }),
  });
}
