// Builder configuration only: schema types, plugins and scalars.
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import ComplexityPlugin from '@pothos/plugin-complexity';
import { getNullableType, GraphQLError, isListType, Kind, type GraphQLField, type ValueNode } from 'graphql';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type { Context } from '../server/context.js';

function parseDateTime(value: unknown): Date {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError(`DateTime must be an ISO 8601 date-time with a time zone, such as 2026-01-31T12:00:00Z; got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

function jsonLiteral(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((v) => jsonLiteral(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, jsonLiteral(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    default:
      throw new GraphQLError('Invalid JSON literal');
  }
}

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

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: Context;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [PrismaPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
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

builder.scalarType('DateTime', {
  description: 'An ISO 8601 date-time in UTC, such as 2026-01-31T12:00:00.000Z',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : null),
});

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node, variables) => jsonLiteral(node, variables),
});

builder.queryType({});
builder.mutationType({});
