import type { ObjectRef } from '@pothos/core';
import { builder } from './builder.js';
import type { Context } from '../server/context.js';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/**
 * `<Name>Connection` and `<Name>Edge` (the relay plugin's shapes, with
 * `nodes`) plus `totalCount`: the page carries it as a number, or as a
 * function called only when the field is selected. A page that carries none
 * (a relatedConnection loaded with its parent) is counted by `countOf`, given
 * the parent the page was loaded for.
 */
export function connectionType<T>(
  name: string,
  nodeRef: ObjectRef<Types, T>,
  opts: { description?: string; countOf?: (parent: unknown, ctx: Context) => Promise<number>; bounded?: boolean } = {},
) {
  return builder.connectionObject({
    type: nodeRef,
    name: `${name}Connection`,
    fields: (t) => ({
      totalCount: t.int({
        description: opts.description,
        // Tells t.prismaConnection that a selection of only totalCount needs no rows.
        extensions: { pothosPrismaTotalCount: true },
        resolve: (c, _a, ctx) => {
          if (typeof c.totalCount === 'function') return c.totalCount();
          if (c.totalCount !== undefined) return c.totalCount;
          // Pothos's connection results keep the parent they were loaded for.
          const { parent } = c as { parent?: unknown };
          if (opts.countOf && parent) return opts.countOf(parent, ctx);
          throw new Error(`${name}Connection resolved without a totalCount`);
        },
      }),
      ...(opts.bounded
        ? {
            totalCountIsLowerBound: t.boolean({
              description: 'True when more than totalCount rows match: counts stop at 10,000 so they stay cheap on millions of rows',
              resolve: (c) => c.totalCountIsLowerBound?.() ?? false,
            }),
          }
        : {}),
    }),
  });
}
