// Typed errors for the connection arguments of the delivery log's pages: the
// Prisma-backed events page, and the hand-written deliveries and attempts
// pages (whose filter is checked here too). @pothos/plugin-prisma clamps `first`
// to its maxSize silently, and throws plain errors for a malformed cursor or
// an unsupported combination, which Yoga masks as "Unexpected error.". A
// nested relatedConnection (Delivery.attempts) even parses its cursor while
// its parent field plans the query, so the error would land on the parent.
// This check runs once per operation, before execution, on every field
// marked CHECKED_CONNECTION, LOG_ATTEMPTS or LOG_DELIVERIES, and answers
// BAD_USER_INPUT naming the argument (for the log's pages, a nested page's
// bad cursor or filter is then one error, not one per parent).
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
import { parseLogCursor } from '../domain/log/cursor.js';
import {
  parseAttemptFilter,
  parseDeliveryFilter,
  type DeliveryAttemptFilterInput,
  type DeliveryFilterInput,
} from '../domain/log/filter.js';
import { checkPageArgs } from '../domain/log/page.js';

/** Field extensions of a connection whose arguments are checked before execution: a Prisma cursor connection. */
export const CHECKED_CONNECTION = { hooklineConnectionArgs: 'prisma' } as const;
/** The delivery log's pages (src/domain/log): their cursors and their filter argument are checked too. */
export const LOG_ATTEMPTS = { hooklineConnectionArgs: 'attempt' } as const;
export const LOG_DELIVERIES = { hooklineConnectionArgs: 'delivery' } as const;

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** Row ids (src/base/ids.ts): the only value an events-page cursor carries. */
const ID = /^[A-Za-z0-9]{1,64}$/;

function isPrismaCursor(cursor: string): boolean {
  try {
    const value = parsePrismaCursor(cursor);
    return typeof value === 'string' && ID.test(value);
  } catch {
    return false;
  }
}

/** Throws a BAD_USER_INPUT GraphQLError naming the argument unless Pothos's Prisma cursor pagination can serve `args`. */
export function checkConnectionArgs(args: ConnectionArgs, maxPageSize: number): void {
  checkPageArgs(args, maxPageSize, isPrismaCursor);
}

/** Checks one marked field's arguments; throws the first refusal. */
function checkField(kind: unknown, args: Record<string, unknown>, maxPageSize: number) {
  if (kind === 'attempt' || kind === 'delivery') {
    checkPageArgs(args, maxPageSize, (c) => parseLogCursor(c, kind) !== null);
    if (kind === 'attempt') parseAttemptFilter(args.filter as DeliveryAttemptFilterInput | null | undefined);
    else parseDeliveryFilter(args.filter as DeliveryFilterInput | null | undefined);
  } else checkConnectionArgs(args as ConnectionArgs, maxPageSize);
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
      checkField(def.extensions?.hooklineConnectionArgs, getArgumentValues(def, node, variables ?? {}), maxPageSize);
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
