// When an operation may run through graphql-jit. graphql-jit parses a custom
// scalar's literal without the request's variables, so `payload: { n: $n }`
// (a variable inside a JSON literal) would lose `n`, and it writes a warning
// to stderr for every literal of a scalar whose parser takes variables (the
// JSON scalars). Documents with such literals, and subscriptions (which keep
// the shared execution), run in graphql-js; variables (`payload: $payload`)
// are fine.
import {
  getNamedType,
  getOperationAST,
  isScalarType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  BREAK,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';

const LITERALS = [Kind.OBJECT, Kind.LIST, Kind.STRING, Kind.INT, Kind.FLOAT, Kind.BOOLEAN, Kind.ENUM, Kind.NULL] as const;

/** True if the document holds a literal of a scalar whose parser reads variables (such as JSON). */
export function hasVariableAwareScalarLiteral(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  const check = () => {
    const named = getNamedType(typeInfo.getInputType() ?? undefined);
    if (named && isScalarType(named) && named.parseLiteral.length > 1) {
      found = true;
      return BREAK;
    }
    return undefined;
  };
  visit(document, visitWithTypeInfo(typeInfo, Object.fromEntries(LITERALS.map((k) => [k, check]))));
  return found;
}

const verdicts = new WeakMap<DocumentNode, boolean>();

/** Whether graphql-jit may run this operation; decided once per parsed document. */
export function jitEligible(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): boolean {
  let ok = verdicts.get(document);
  if (ok === undefined) {
    ok = getOperationAST(document, operationName)?.operation !== 'subscription' && !hasVariableAwareScalarLiteral(schema, document);
    verdicts.set(document, ok);
  }
  return ok;
}
