// GraphQL operations in the metrics and the traces, as one envelope plugin
// (so HTTP, SSE and graphql-ws alike): per query or mutation, its count,
// execution time and the codes of the errors in its result; per
// subscription, its count and how many are open; and, with tracing on, a
// span per operation that is the active span while it executes, so what it
// calls (a publish) is traced as its child.
//
// A subscription's events are executed one by one through the same
// envelope (src/live/fanout.ts, shared-results.ts); those executions are
// neither counted nor traced as operations.
import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { tracer, tracingOn } from '../base/tracing.js';
import type { Metrics, Transport } from './metrics.js';

/** An extensions.code fit for a label; anything else is OTHER. */
export function errorCode(err: Pick<GraphQLError, 'extensions'>): string {
  const code = err.extensions?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'OTHER';
}

function operationOf(args: ExecutionArgs): { name: string | undefined; type: string } {
  const op = getOperationAST(args.document, args.operationName);
  return { name: op?.name?.value ?? args.operationName ?? undefined, type: op?.operation ?? 'unknown' };
}

function startSpan(name: string | undefined, type: string): Span {
  return tracer().startSpan(name ? `${type} ${name}` : type, {
    kind: SpanKind.SERVER,
    attributes: { 'graphql.operation.type': type, ...(name ? { 'graphql.operation.name': name } : {}) },
  });
}

function endSpan(span: Span, errors: readonly GraphQLError[] | undefined) {
  if (errors?.length) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: errors[0].message.slice(0, 200) });
    span.setAttribute('graphql.error.codes', [...new Set(errors.map(errorCode))]);
  }
  span.end();
}

const isIterable = (r: unknown): r is AsyncIterable<unknown> => typeof r === 'object' && r !== null && Symbol.asyncIterator in r;

/** Operations' spans, from the outer plugin to the inner one (the same args object reaches both). */
const spans = new WeakMap<object, Span>();

/**
 * The outer half, first among the plugins: it sees every operation,
 * including those another plugin refuses before they run (no credential,
 * bad page arguments), and measures the whole of it.
 */
export function useGraphqlTelemetry(metrics: Metrics): Plugin {
  return {
    // An operation refused before it runs (it does not validate) is counted with its errors, and no time.
    onValidate({ params }) {
      return ({ valid, result }) => {
        if (valid) return;
        const op = getOperationAST(params.documentAST);
        metrics.graphqlOperation(
          op?.name?.value,
          op?.operation ?? 'unknown',
          null,
          result.map(() => 'GRAPHQL_VALIDATION_FAILED'),
        );
      };
    },
    onExecute({ args }) {
      const { name, type } = operationOf(args);
      if (type === 'subscription') return; // one event of a subscription, not an operation
      const started = performance.now();
      const span = tracingOn() ? startSpan(name, type) : null;
      if (span) spans.set(args, span);
      return {
        onExecuteDone({ result }) {
          if (isIterable(result)) return; // incremental delivery: not used here
          const errors = (result as ExecutionResult).errors;
          metrics.graphqlOperation(name, type, (performance.now() - started) / 1000, errors?.map(errorCode) ?? []);
          if (span) endSpan(span, errors);
        },
      };
    },
    onSubscribe({ args }) {
      const { name, type } = operationOf(args);
      const span = tracingOn() ? startSpan(name, type) : null;
      const transport: Transport = (args.contextValue as { graphqlWs?: unknown } | undefined)?.graphqlWs ? 'websocket' : 'http';
      return {
        onSubscribeResult({ result }) {
          const errors = isIterable(result) ? undefined : (result as ExecutionResult).errors;
          metrics.graphqlOperation(name, type, null, errors?.map(errorCode) ?? []);
          if (span) endSpan(span, errors);
          if (!isIterable(result)) return;
          const closed = metrics.subscriptionOpened(transport);
          return { onEnd: closed };
        },
      };
    },
  };
}

/**
 * The inner half, after the JIT plugin: the execute function it chose runs
 * with the operation's span active (AsyncLocalStorage), so the spans of
 * what the resolvers call (a publish) are its children.
 */
export function useGraphqlSpanContext(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const span = spans.get(args);
      if (!span) return;
      spans.delete(args);
      setExecuteFn((a) => context.with(trace.setSpan(context.active(), span), () => executeFn(a)));
    },
  };
}
