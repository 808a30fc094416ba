// Builder configuration only: schema types, plugins and scalars.
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ComplexityPlugin from '@pothos/plugin-complexity';
import { getNullableType, GraphQLError, GraphQLScalarType, isListType, type GraphQLField } from 'graphql';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type { Context } from '../server/context.js';

/**
 * Query cost, computed with the request's variables before anything runs: a
 * paged field multiplies what is selected under it by its page size (first,
 * last or limit, default 20); other list fields by 10.
 */
function fieldComplexity(args: Record<string, unknown>, _ctx: Context, field: GraphQLField<unknown, Context, Record<string, unknown>>) {
  const page = [args.first, args.last, args.limit].find((n) => typeof n === 'number') as number | undefined;
  if ('first' in args || 'last' in args || 'limit' in args) return { field: 1, multiplier: Math.max(1, page ?? 20) };
  return { field: 1, multiplier: isListType(getNullableType(field.type)) ? 10 : 1 };
}

// The paged parent field already multiplies by the page size.
const PAGE_ITEMS = { field: 0, multiplier: 1 };

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: Context;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    JSONObject: { Input: Record<string, unknown>; Output: object };
    ID: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Connection: {
    totalCount?: number | (() => number | Promise<number>);
    /** Bounded counts (the delivery log): whether more rows match than totalCount says. */
    totalCountIsLowerBound?: () => Promise<boolean>;
  };
}>({
  plugins: [PrismaPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  relay: {
    cursorType: 'String',
    // No Node interface: objects are fetched by their own root fields.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    edgesFieldOptions: { nullable: false, complexity: PAGE_ITEMS },
    nodeFieldOptions: { nullable: false },
    nodesOnConnection: { complexity: PAGE_ITEMS },
  },
  prisma: {
    // The instance's client, from the request: importing the schema connects nothing.
    client: (ctx) => ctx.app.db.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
  },
  complexity: {
    fieldComplexity,
    limit: (ctx) => ({ complexity: ctx.app.config.maxQueryCost }),
    complexityError: (_kind, result) =>
      new GraphQLError(
        `Query cost ${result.complexity} is over the limit of ${result.maxComplexity} (MAX_QUERY_COST); ask for fewer items with first/last/limit or select fewer nested lists`,
        { extensions: { code: 'QUERY_TOO_COMPLEX', cost: result.complexity, limit: result.maxComplexity } },
      ),
  },
});

/**
 * graphql-scalars' DateTime (RFC 3339: a date-time with seconds and a zone;
 * output toISOString(), UTC with milliseconds), with its refusals typed as
 * BAD_USER_INPUT.
 */
const DateTime = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  description:
    'An RFC 3339 date-time with a time zone, such as 2026-01-31T12:00:00Z; always returned in UTC with milliseconds, such as 2026-01-31T12:00:00.000Z',
  parseValue: badUserInput(DateTimeResolver.parseValue),
  parseLiteral: badUserInput(DateTimeResolver.parseLiteral),
});

function badUserInput<A extends unknown[], R>(parse: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return parse(...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new GraphQLError(`${message} Send an RFC 3339 date-time with a time zone, such as 2026-01-31T12:00:00Z`, {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  };
}

builder.addScalarType('DateTime', DateTime);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);

builder.queryType({});
builder.mutationType({});
