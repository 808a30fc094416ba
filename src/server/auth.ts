// Rejects operations without a valid API key, for HTTP and WebSocket alike
// (both run through yoga.getEnveloped). Introspection alone is allowed, so
// GraphiQL can show the schema before a key is entered.
import type { Plugin } from 'graphql-yoga';
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { unauthenticated, type Context } from './context.js';

function onlyIntrospection(set: SelectionSetNode, doc: DocumentNode, seen = new Set<string>()): boolean {
  return set.selections.every((s) => {
    if (s.kind === Kind.FIELD) return s.name.value.startsWith('__');
    if (s.kind === Kind.INLINE_FRAGMENT) return onlyIntrospection(s.selectionSet, doc, seen);
    if (seen.has(s.name.value)) return true;
    seen.add(s.name.value);
    const frag = doc.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
    return !!frag && frag.kind === Kind.FRAGMENT_DEFINITION && onlyIntrospection(frag.selectionSet, doc, seen);
  });
}

function rejection(ctx: Context, document: DocumentNode, operationName?: string | null) {
  if (ctx.badKey) return unauthenticated('The API key is invalid or has been revoked');
  if (ctx.caller) return null;
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const op = ops.find((d) => !operationName || d.name?.value === operationName) ?? ops[0];
  if (op && op.kind === Kind.OPERATION_DEFINITION && op.operation === 'query' && onlyIntrospection(op.selectionSet, document)) {
    return null;
  }
  return unauthenticated('Authentication required: send an API key in x-api-key or Authorization: Bearer');
}

export function useApiKeyAuth(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = rejection(args.contextValue, args.document, args.operationName);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = rejection(args.contextValue, args.document, args.operationName);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
