// Typed errors for the connection arguments of the Prisma-backed delivery-log
// pages (events, deliveries, attempts). @pothos/plugin-prisma clamps `first`
// to its maxSize silently, and throws plain errors for a malformed cursor or
// an unsupported combination, which Yoga masks as "Unexpected error.". A
// nested relatedConnection (Delivery.attempts) even parses its cursor while
// its parent field plans the query, so the error would land on the parent.
// This check runs once per operation, before execution, on every field
// marked CHECKED_CONNECTION, and answers BAD_USER_INPUT naming the argument.
import type { Plugin } from 'graphql-yoga';
import { parsePrismaCursor } from '@pothos/plugin-prisma';
import {
  GraphQLError,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import type { Context } from './context.js';

/** Field extensions of a connection whose arguments are checked before execution. */
export const CHECKED_CONNECTION = { hooklineConnectionArgs: true } as const;

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

const badInput = (field: string, message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field: [field] } });

/** Row ids (src/base/ids.ts): the only value a delivery-log cursor carries. */
const ID = /^[A-Za-z0-9]{1,64}$/;

function isLogCursor(cursor: string): boolean {
  try {
    const value = parsePrismaCursor(cursor);
    return typeof value === 'string' && ID.test(value);
  } catch {
    return false;
  }
}

/** Throws a BAD_USER_INPUT GraphQLError naming the argument unless Pothos's Prisma cursor pagination can serve `args`. */
export function checkConnectionArgs(args: ConnectionArgs, maxPageSize: number): void {
  for (const name of ['first', 'last'] as const) {
    const n = args[name];
    if (n != null && (!Number.isInteger(n) || n < 0 || n > maxPageSize))
      throw badInput(name, `${name} must be between 0 and ${maxPageSize}`);
  }
  if (args.first != null && args.last != null) throw badInput('last', 'Pass either first or last, not both');
  if (args.after != null && args.before != null) throw badInput('before', 'Pass either after or before, not both');
  if (args.before != null && args.first != null) throw badInput('first', 'Page backward from before with last, not first');
  if (args.after != null && args.last != null) throw badInput('last', 'Page forward from after with first, not last');
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor != null && !isLogCursor(cursor)) throw badInput(name, `${name} is not a cursor from this list`);
  }
}

type Checked = [GraphQLField<unknown, unknown>, FieldNode][];
// Yoga caches parsed documents, so each distinct query text is walked once.
const checkedFields = new WeakMap<DocumentNode, Checked>();

function checkedFieldsOf(schema: GraphQLSchema, document: DocumentNode): Checked {
  let found = checkedFields.get(document);
  if (!found) {
    const list: Checked = [];
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const def = typeInfo.getFieldDef();
          if (def?.extensions?.hooklineConnectionArgs) list.push([def, node]);
        },
      }),
    );
    found = list;
    checkedFields.set(document, found);
  }
  return found;
}

/** The first refused connection argument in the operation, or null. */
export function connectionArgsError(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  maxPageSize: number,
): GraphQLError | null {
  for (const [def, node] of checkedFieldsOf(schema, document)) {
    try {
      checkConnectionArgs(getArgumentValues(def, node, variables ?? {}) as ConnectionArgs, maxPageSize);
    } catch (err) {
      if (err instanceof GraphQLError) return err;
      throw err;
    }
  }
  return null;
}

export function useConnectionArgs(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = connectionArgsError(args.schema, args.document, args.variableValues, args.contextValue.app.config.maxPageSize);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
