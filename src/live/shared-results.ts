// One execution per published event and subscription shape, shared by every
// subscriber who asked the same thing. Without it, a delivery attempt
// watched by 1,000 clients is executed 1,000 times over.
//
// Safe because every live topic is per account: all subscribers handed the
// same payload object are in the same account, and the subscription
// resolvers depend on nothing narrower than the account.
import type { Plugin } from 'graphql-yoga';
import {
  createSourceEventStream,
  execute,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';

type Shared = Map<string, ExecutionResult | Promise<ExecutionResult>>;

const byPayload = new WeakMap<object, Shared>();
const documentKeys = new WeakMap<DocumentNode, string>();

function shapeKey(args: ExecutionArgs): string {
  let doc = documentKeys.get(args.document);
  if (doc === undefined) {
    doc = print(args.document);
    documentKeys.set(args.document, doc);
  }
  return `${args.operationName ?? ''}\u0000${doc}\u0000${JSON.stringify(args.variableValues ?? {})}`;
}

function executeShared(args: ExecutionArgs, payload: unknown, key: string) {
  if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
  let shared = byPayload.get(payload);
  if (!shared) {
    shared = new Map();
    byPayload.set(payload, shared);
  }
  let result = shared.get(key);
  if (!result) {
    result = execute({ ...args, rootValue: payload });
    shared.set(key, result);
  }
  return result;
}

async function* mapEvents(source: AsyncIterable<unknown>, args: ExecutionArgs): AsyncGenerator<ExecutionResult> {
  const key = shapeKey(args);
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield await executeShared(args, next.value, key);
    }
  } finally {
    await iterator.return?.();
  }
}

async function sharedSubscribe(args: ExecutionArgs) {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in (source as object))) return source as ExecutionResult;
  return mapEvents(source as AsyncIterable<unknown>, args);
}

export function useSharedSubscriptionResults(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(sharedSubscribe as never);
    },
  };
}
