// The graphql-ws fan-out registry: how a live event reaches 1,000 sockets
// without 1,000 executions, 1,000 JSON.stringify calls and 1,000 chains of
// async iterators.
//
// graphql-ws keeps the protocol (connection_init, subscribe, complete,
// ping/pong, errors); every operation still runs through yoga.getEnveloped,
// so auth, limits and error masking apply as on HTTP and SSE. But when a
// subscription's source is a live topic (source.ts), the subscribe step
// hands graphql-ws an idle handle instead of a stream of results, and this
// registry delivers the `next` messages:
//
// - one topic subscription per (topic, account), whatever the number of
//   subscribers;
// - per event, each subscriber's own filter (webhookId, status, …) picks who
//   gets it; subscribers with the same (document, operationName, variables)
//   share one execution (through the enveloped execute, so errors are masked)
//   and one JSON.stringify of the result;
// - each socket gets `{"id":"<id>","type":"next","payload":` + JSON + `}`,
//   written straight to the socket, in event order;
// - a revoked API key (announced on the pubsub, so on every instance) ends
//   its subscribers' streams with the UNAUTHENTICATED error the resolver
//   gives, then graphql-ws sends `complete`;
// - `complete` from the client, or the socket closing, calls the handle's
//   return() (graphql-ws does this), which unregisters at once;
// - backpressure: a socket with more than maxBufferedBytes waiting to be
//   written is closed with 1013 ("try again later") and its subscriptions
//   end; it never slows the others, and it is terminated if it does not
//   finish closing within a short grace.
// - writes are corked per socket until the current burst of events has been
//   dispatched (process.nextTick), so the attempts of one publish that
//   finish together reach each socket in one write, not one syscall each.
//
// Ordering: graphql-ws only sends `complete` after the handle's iteration
// ends, and the handle ends only after the last frame for it was handed to
// ws.send, which writes in call order; so no `next` follows `complete`, and
// none is sent for an id the client completed (return() unregisters
// synchronously, before any later event is dispatched).
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { KEY_REVOKED } from './revocation.js';
import type { LivePubSub } from './pubsub.js';
import type { LiveSpec } from './source.js';

type MaybePromise<T> = T | Promise<T>;

/** Close code for a subscriber that cannot keep up (RFC 6455 "Try Again Later"). */
export const SLOW_SOCKET_CLOSE_CODE = 1013;
export const SLOW_SOCKET_CLOSE_REASON = 'Subscriber too slow: send buffer over the limit';
/** How long a dropped socket gets to complete its closing handshake before it is terminated. */
const DROP_GRACE_MS = 5_000;
const OPEN = 1;

/** What the graphql-ws server puts in the context of each operation, for the registry. */
export interface WsSink {
  socket: WebSocket;
  /** The graphql-ws operation id. */
  id: string;
  /** The enveloped execute (plugins and error masking included). */
  execute: (args: ExecutionArgs) => MaybePromise<ExecutionResult>;
}

export interface Registration {
  spec: LiveSpec;
  /** Subscribers with the same shape key share one execution per event. */
  shape: string;
  socket: WebSocket;
  id: string;
  /** Runs this subscriber's operation with the event as root value. */
  execute: (rootValue: unknown) => MaybePromise<ExecutionResult>;
}

export interface FanoutStats {
  feeds: number;
  groups: number;
  subscribers: number;
  sockets: number;
  keys: number;
  /** Sockets closed for being too slow, since start. */
  dropped: number;
}

export interface FanoutOptions {
  /** Over this many bytes waiting to be written, a socket is dropped. */
  maxBufferedBytes: number;
  onError?: (err: unknown, msg: string) => void;
}

interface Sub {
  id: string;
  socket: WebSocket;
  /** `{"id":"<id>","type":"next","payload":` */
  prefix: string;
  accept: (event: never) => boolean;
  apiKeyId: string;
  execute: Registration['execute'];
  feed: Feed;
  group: Group;
  handle: Handle;
  live: boolean;
}

interface Group {
  shape: string;
  subs: Set<Sub>;
}

interface Feed {
  key: string;
  groups: Map<string, Group>;
  size: number;
  events: AsyncIterator<unknown>;
  /** Writes still waiting for an asynchronous execution; later events queue behind them. */
  tail: Promise<void> | null;
}

interface SocketEntry {
  subs: Set<Sub>;
  onClose: () => void;
}

interface Job {
  subs: Sub[];
  result: MaybePromise<ExecutionResult>;
}

const isPromise = <T>(x: MaybePromise<T>): x is Promise<T> => typeof (x as Promise<T>)?.then === 'function';

/** The payload graphql-ws would send for a result: data, then errors and extensions when present. */
function serialise(result: ExecutionResult): string {
  const { data, errors, extensions } = result;
  return JSON.stringify(errors || extensions ? { data, ...(errors ? { errors } : {}), ...(extensions ? { extensions } : {}) } : { data });
}

/**
 * What graphql-ws iterates for a registry subscriber: it yields nothing (the
 * registry writes the frames) and ends when the registry ends it; return()
 * (client `complete`, socket closed) unregisters it.
 */
class Handle implements AsyncIterableIterator<never> {
  private ended = false;
  private error: unknown = undefined;
  private waiting: { resolve: (r: IteratorResult<never>) => void; reject: (e: unknown) => void } | null = null;

  constructor(private readonly onReturn: () => void) {}

  next(): Promise<IteratorResult<never>> {
    if (this.ended) return this.error === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(this.error);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<never>> {
    this.onReturn();
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(err?: unknown): Promise<IteratorResult<never>> {
    this.onReturn();
    this.end();
    return Promise.reject(err);
  }

  /** Ends the stream: graphql-ws then sends `complete` (or `error`, when err is given). */
  end(err?: unknown) {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    const w = this.waiting;
    this.waiting = null;
    if (!w) return;
    if (err === undefined) w.resolve({ done: true, value: undefined });
    else w.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

export class Fanout {
  private readonly feeds = new Map<string, Feed>();
  private readonly byKey = new Map<string, Set<Sub>>();
  private readonly bySocket = new Map<WebSocket, SocketEntry>();
  private readonly revocations: AsyncIterator<string>;
  private dropped = 0;
  private closed = false;
  /** TCP sockets corked during this tick, uncorked on the next one. */
  private corked: Socket[] | null = null;

  constructor(
    private readonly pubsub: LivePubSub,
    private readonly opts: FanoutOptions,
  ) {
    // One watcher per instance: revocations arrive through the pubsub (Redis
    // when configured), so a key revoked on any instance ends streams here.
    this.revocations = pubsub.subscribe('api-key-revoked')[Symbol.asyncIterator]();
    void this.watchRevocations();
  }

  stats(): FanoutStats {
    let groups = 0;
    let subscribers = 0;
    for (const f of this.feeds.values()) {
      groups += f.groups.size;
      subscribers += f.size;
    }
    return { feeds: this.feeds.size, groups, subscribers, sockets: this.bySocket.size, keys: this.byKey.size, dropped: this.dropped };
  }

  /** Registers a graphql-ws subscriber; graphql-ws iterates the returned handle. */
  register(r: Registration): AsyncIterableIterator<never> & { return(): Promise<IteratorResult<never>> } {
    let sub: Sub | null = null;
    const handle = new Handle(() => sub && this.unregister(sub));
    if (this.closed || r.socket.readyState !== OPEN) {
      handle.end();
      return handle;
    }
    const feed = this.feedFor(r.spec);
    let group = feed.groups.get(r.shape);
    if (!group) feed.groups.set(r.shape, (group = { shape: r.shape, subs: new Set() }));
    sub = {
      id: r.id,
      socket: r.socket,
      prefix: `{"id":${JSON.stringify(r.id)},"type":"next","payload":`,
      accept: r.spec.accept as (event: never) => boolean,
      apiKeyId: r.spec.apiKeyId,
      execute: r.execute,
      feed,
      group,
      handle,
      live: true,
    };
    group.subs.add(sub);
    feed.size++;
    let keySubs = this.byKey.get(sub.apiKeyId);
    if (!keySubs) this.byKey.set(sub.apiKeyId, (keySubs = new Set()));
    keySubs.add(sub);
    let entry = this.bySocket.get(r.socket);
    if (!entry) {
      const socket = r.socket;
      // Belt and braces: graphql-ws returns every handle when the socket
      // closes, but nothing may outlive its socket in here.
      entry = { subs: new Set(), onClose: () => this.endSocket(socket) };
      this.bySocket.set(socket, entry);
      socket.once('close', entry.onClose);
    }
    entry.subs.add(sub);
    return handle;
  }

  /** Stops every feed and the revocation watcher; open handles end. */
  async close() {
    this.closed = true;
    for (const entry of [...this.bySocket.values()]) for (const sub of [...entry.subs]) this.finish(sub);
    await this.revocations.return?.();
  }

  private feedFor(spec: LiveSpec): Feed {
    const key = `${spec.topic}\u0000${spec.accountId}`;
    let feed = this.feeds.get(key);
    if (feed) return feed;
    const events = (this.pubsub.subscribe(spec.topic, spec.accountId) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    feed = { key, groups: new Map(), size: 0, events, tail: null };
    this.feeds.set(key, feed);
    void this.pump(feed);
    return feed;
  }

  private async pump(feed: Feed) {
    try {
      for (;;) {
        const next = await feed.events.next();
        if (next.done) return;
        this.dispatch(feed, next.value);
      }
    } catch (err) {
      this.opts.onError?.(err, 'live topic subscription failed');
    }
  }

  private dispatch(feed: Feed, event: unknown) {
    const jobs: Job[] = [];
    let async = feed.tail !== null;
    for (const group of feed.groups.values()) {
      let subs: Sub[] | null = null;
      for (const sub of group.subs) if (sub.accept(event as never)) (subs ??= []).push(sub);
      if (!subs) continue;
      let result: MaybePromise<ExecutionResult>;
      try {
        // Any member can run the shared execution: they are in one account,
        // asked the same thing, and resolvers depend on nothing narrower.
        result = subs[0].execute(event);
      } catch (err) {
        result = Promise.reject(err);
      }
      if (isPromise(result)) {
        async = true;
        result.catch(() => undefined); // handled when its turn comes
      }
      jobs.push({ subs, result });
    }
    if (!jobs.length) return;
    if (!async) {
      for (const job of jobs) this.write(job.subs, job.result as ExecutionResult);
      return;
    }
    // Keep event order per feed: this event's frames wait for the earlier ones.
    const tail: Promise<void> = (feed.tail ?? Promise.resolve()).then(async () => {
      for (const job of jobs) {
        try {
          this.write(job.subs, await job.result);
        } catch (err) {
          this.opts.onError?.(err, 'live subscription execution failed');
          for (const sub of job.subs) if (sub.live) this.finish(sub, new Error('Internal error while executing the subscription'));
        }
      }
    });
    feed.tail = tail;
    void tail.finally(() => {
      if (feed.tail === tail) feed.tail = null;
    });
  }

  private write(subs: Sub[], result: ExecutionResult) {
    const json = serialise(result);
    for (const sub of subs) if (sub.live) this.send(sub, sub.prefix + json + '}');
  }

  private send(sub: Sub, frame: string) {
    const socket = sub.socket;
    if (socket.readyState !== OPEN) return;
    if (socket.bufferedAmount > this.opts.maxBufferedBytes) {
      this.drop(socket);
      return;
    }
    this.cork(socket);
    socket.send(frame);
  }

  /**
   * ws has no batch send; corking its TCP socket (the `_socket` ws keeps,
   * which ws's own sender corks around each frame) lets frames queued in one
   * tick leave in one writev. Skipped if ws ever stops exposing it.
   */
  private cork(ws: WebSocket) {
    const tcp = (ws as unknown as { _socket?: Socket })._socket;
    if (!tcp || typeof tcp.cork !== 'function' || tcp.writableCorked) return;
    if (!this.corked) {
      this.corked = [];
      process.nextTick(this.uncork);
    }
    tcp.cork();
    this.corked.push(tcp);
  }

  private readonly uncork = () => {
    const corked = this.corked ?? [];
    this.corked = null;
    for (const tcp of corked) tcp.uncork();
  };

  /** A socket that cannot keep up: close it (1013) and end its subscriptions, without waiting for it. */
  private drop(socket: WebSocket) {
    this.dropped++;
    this.endSocket(socket);
    socket.close(SLOW_SOCKET_CLOSE_CODE, SLOW_SOCKET_CLOSE_REASON);
    // The close frame queues behind what is buffered; a reader that never
    // drains it must not hold the buffer for ws's 30 s closing timeout.
    setTimeout(() => {
      if (socket.readyState !== socket.CLOSED) socket.terminate();
    }, DROP_GRACE_MS).unref();
  }

  private endSocket(socket: WebSocket) {
    const entry = this.bySocket.get(socket);
    if (!entry) return;
    for (const sub of [...entry.subs]) this.finish(sub);
  }

  private async watchRevocations() {
    try {
      for (;;) {
        const next = await this.revocations.next();
        if (next.done) return;
        this.revoke(next.value);
      }
    } catch (err) {
      this.opts.onError?.(err, 'revocation watcher failed');
    }
  }

  /** Ends every stream of a revoked key with the error its resolver gives for KEY_REVOKED. */
  private revoke(apiKeyId: string) {
    const subs = this.byKey.get(apiKeyId);
    if (!subs) return;
    for (const sub of [...subs]) {
      // No frame for this subscriber after this point.
      this.unregister(sub);
      let result: MaybePromise<ExecutionResult>;
      try {
        result = sub.execute(KEY_REVOKED);
      } catch (err) {
        result = Promise.reject(err);
      }
      const send = (r: ExecutionResult) => {
        if (sub.socket.readyState === OPEN) sub.socket.send(sub.prefix + serialise(r) + '}');
        sub.handle.end();
      };
      if (isPromise(result)) {
        result.then(send, (err) => {
          this.opts.onError?.(err, 'live subscription execution failed');
          sub.handle.end(new Error('Internal error while executing the subscription'));
        });
      } else send(result);
    }
  }

  /** Unregisters and ends the handle (graphql-ws then sends `complete`, or `error` with err). */
  private finish(sub: Sub, err?: unknown) {
    this.unregister(sub);
    sub.handle.end(err);
  }

  private unregister(sub: Sub) {
    if (!sub.live) return;
    sub.live = false;
    const { feed, group } = sub;
    group.subs.delete(sub);
    if (!group.subs.size) feed.groups.delete(group.shape);
    if (--feed.size === 0) {
      this.feeds.delete(feed.key);
      void feed.events.return?.();
    }
    const keySubs = this.byKey.get(sub.apiKeyId);
    if (keySubs) {
      keySubs.delete(sub);
      if (!keySubs.size) this.byKey.delete(sub.apiKeyId);
    }
    const entry = this.bySocket.get(sub.socket);
    if (entry) {
      entry.subs.delete(sub);
      if (!entry.subs.size) {
        this.bySocket.delete(sub.socket);
        sub.socket.off('close', entry.onClose);
      }
    }
  }
}
