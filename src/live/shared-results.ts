// One execution per published event and subscription shape, shared by every
// subscriber who asked the same thing. Without it, a delivery attempt
// watched by 1,000 clients is executed 1,000 times over.
//
// Safe because every live topic is per account: all subscribers handed the
// same payload object are in the same account, and the subscription
// resolvers depend on nothing narrower than the account.
//
// Over graphql-ws, a subscription whose source is a live topic (source.ts)
// is handed to the fan-out registry instead (fanout.ts), which also shares
// the serialised result and writes pre-built frames. SSE (and anything else
// without a WsSink in its context) iterates the source here.
import type { Plugin } from 'graphql-yoga';
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { Caller } from '../base/caller.js';
import type { Fanout, WsSink } from './fanout.js';
import { TOO_MANY_STREAMS, tooManyStreamsMessage, type StreamLimits, type StreamSlot } from './limits.js';
import { liveSpecOf } from './source.js';

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

/**
 * Marks the registry's executions of one event. They go through the
 * enveloped execute, so every onExecute hook (auth, error masking) applies,
 * but Yoga's engine would subscribe anew for a subscription document; the
 * hook below runs graphql-js execute instead, which resolves the
 * subscription's fields with the event as root value (as mapEvents does).
 */
const EVENT_EXECUTION = Symbol('live event execution');

interface SubscribeContext {
  app?: { fanout?: Fanout; streams?: StreamLimits };
  caller?: Caller | null;
  graphqlWs?: WsSink;
}

/**
 * The stream with its slot: released when it ends, fails or is returned
 * (the client went away), also if it never started.
 */
function holding<T>(source: AsyncIterator<T>, slot: StreamSlot): AsyncIterableIterator<T> {
  return {
    async next() {
      try {
        const r = await source.next();
        if (r.done) slot.release();
        return r;
      } catch (err) {
        slot.release();
        throw err;
      }
    },
    async return(value?: unknown) {
      slot.release();
      return (await source.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      slot.release();
      if (source.throw) return source.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function sharedSubscribe(args: ExecutionArgs) {
  const { app, caller, graphqlWs: sink } = (args.contextValue ?? {}) as SubscribeContext;
  // Over graphql-ws the connection holds the slot (src/server/http.ts); an
  // SSE or other HTTP stream holds one of its own. Refused before anything
  // subscribes, with 429 (the result processor in src/server/yoga.ts sends
  // it as JSON).
  let slot: StreamSlot | null = null;
  if (!sink && caller && app?.streams) {
    const got = app.streams.acquire(caller.apiKeyId, caller.accountId);
    if (!got.ok) {
      const error = new GraphQLError(tooManyStreamsMessage(got.scope, got.limit), {
        extensions: { code: TOO_MANY_STREAMS, http: { status: 429 } },
      });
      return { errors: [error] } satisfies ExecutionResult;
    }
    slot = got.slot;
  }
  let source: Awaited<ReturnType<typeof createSourceEventStream>>;
  try {
    source = await createSourceEventStream(args);
  } catch (err) {
    slot?.release();
    throw err;
  }
  if (!(Symbol.asyncIterator in (source as object))) {
    slot?.release();
    return source as ExecutionResult;
  }
  const spec = liveSpecOf(source);
  if (spec && sink && app?.fanout) {
    return app.fanout.register({
      spec,
      shape: shapeKey(args),
      socket: sink.socket,
      id: sink.id,
      execute: (rootValue) => sink.execute({ ...args, rootValue, [EVENT_EXECUTION]: true } as ExecutionArgs),
    });
  }
  const events = mapEvents(source as AsyncIterable<unknown>, args);
  return slot ? holding(events, slot) : events;
}

export function useSharedSubscriptionResults(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(sharedSubscribe as never);
    },
    onExecute({ args, setExecuteFn }) {
      if ((args as { [EVENT_EXECUTION]?: boolean })[EVENT_EXECUTION]) setExecuteFn(execute as never);
    },
  };
}
