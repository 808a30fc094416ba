// The transactional outbox: every event, whether published through the API,
// by embedding code or as a built-in event of a domain change, is written
// with its deliveries in the caller's transaction. Once that commits, no
// crash can lose them, and the commit wakes the workers.
import { newId } from '../base/ids.js';
import type { Bus } from '../base/bus.js';
import type { DeliveryRoom } from '../base/deliveryRoom.js';
import { Lru } from '../base/lru.js';
import { compileFilter, matchesFilter, type FilterNode } from '../base/payloadFilter.js';
import type { AppEvents } from '../db/events.js';
import {
  fanOut,
  filterCandidates,
  findByIdempotencyKey,
  insertDeliveriesFor,
  insertEvent,
  insertEventWithFanOut,
  releaseIdempotencyKey,
  type FannedOut,
  type FilterCandidate,
  type StoredEvent,
} from '../db/stores/events.js';
import type { Sql, Tx } from '../db/sql.js';
import { hintsOf } from '../db/events.js';

export interface PublishRequest {
  accountId: string;
  type: string;
  payload: Record<string, unknown>;
  /** Channels the event is published to (checked by the caller); none: only webhooks without channels receive it. */
  channels?: readonly string[] | null;
  idempotencyKey?: string | null;
}

export interface Published {
  event: StoredEvent;
  deliveryCount: number;
  /** True when an earlier event with the same idempotency key was returned. */
  duplicate: boolean;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/**
 * The event published earlier with this idempotency key within the window,
 * or null. An expired key is released from its old event so it can be used again.
 */
async function earlierPublish(sql: Sql, accountId: string, key: string, now: Date): Promise<Published | null> {
  const found = await findByIdempotencyKey(sql, accountId, key);
  if (!found) return null;
  if (now.getTime() - found.event.createdAt.getTime() >= IDEMPOTENCY_WINDOW_MS) {
    await releaseIdempotencyKey(sql, accountId, key);
    return null;
  }
  return { ...found, duplicate: true };
}

function newEvent(req: PublishRequest, now: Date): StoredEvent {
  return {
    id: newId(),
    accountId: req.accountId,
    type: req.type,
    payload: JSON.stringify(req.payload),
    channels: req.channels?.length ? [...req.channels] : null,
    idempotencyKey: req.idempotencyKey ?? null,
    createdAt: now,
  };
}

/*
 * Content filters are compiled once per filter text and kept (a memo of a
 * pure function, keyed by its input, so never stale: a changed filter is a
 * new text). A filter that no longer compiles (saved under older rules)
 * lets the event through rather than dropping it silently.
 */
const compiledFilters = new Lru<string, FilterNode | null>(5000);

function compiled(text: string): FilterNode | null {
  return compiledFilters.getOrSet(text, () => {
    const check = compileFilter(JSON.parse(text));
    return check.ok ? check.filter : null;
  });
}

/** The candidates whose filter the payload matches. Only webhooks with a filter are looked at here; the rest were routed in SQL. */
export function matchingCandidates(candidates: readonly FilterCandidate[], payload: unknown): string[] {
  const ids: string[] = [];
  for (const c of candidates) {
    const filter = compiled(c.filter);
    if (!filter || matchesFilter(filter, payload)) ids.push(c.id);
  }
  return ids;
}

/*
 * Accounts whose last publish reached a webhook with a filter. On
 * PostgreSQL their publishes go straight to the transaction; others first
 * try the one-statement publish, which writes nothing if it meets a filter
 * (so a stale entry here costs a round trip, never a delivery).
 */
const filteredAccounts = new Lru<string, true>(10_000);

/*
 * Delivery ids are made here (newId(): well under a microsecond) rather
 * than by the database: PostgreSQL's hookline_id() costs about 15 µs a row
 * (100,000 calls in 1.5 s), 150 µs of a publish to 10 webhooks. How many
 * rows a fan-out makes only its statement knows, so the guess is the last
 * fan-out of the same account and event type; rows beyond the guess get
 * ids made by the database, and ids left over are dropped.
 */
const fanOutSizes = new Lru<string, number>(10_000);
const sizeKey = (req: PublishRequest) => `${req.accountId}\n${req.type}`;

function guessIds(req: PublishRequest): string[] {
  const n = fanOutSizes.get(sizeKey(req)) ?? 0;
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = newId();
  return ids;
}

function noteFanOut(req: PublishRequest, rows: number): void {
  if (fanOutSizes.get(sizeKey(req)) !== rows) fanOutSizes.set(sizeKey(req), rows);
}

/** Writes the event and its deliveries inside `tx`; the commit wakes the workers. */
export async function publishInTx(tx: Tx, req: PublishRequest, now: Date): Promise<Published> {
  const earlier = req.idempotencyKey ? await earlierPublish(tx, req.accountId, req.idempotencyKey, now) : null;
  if (earlier) return earlier;
  const event = newEvent(req, now);
  let rows: FannedOut[];
  let candidates: FilterCandidate[];
  if (tx.dialect.provider === 'postgresql') {
    ({ rows, candidates } = await insertEventWithFanOut(tx, event, true, guessIds(req)));
    if (candidates.length) filteredAccounts.set(req.accountId, true);
    else filteredAccounts.delete(req.accountId);
  } else {
    await insertEvent(tx, event);
    rows = await fanOut(tx, event, guessIds(req));
    candidates = await filterCandidates(tx, event);
  }
  noteFanOut(req, rows.length);
  const matched = matchingCandidates(candidates, req.payload);
  if (matched.length) rows = rows.concat(await insertDeliveriesFor(tx, event, matched));
  // The new rows' ids travel with the wake-up, so this instance's delivery
  // thread can claim them by primary key instead of scanning for them.
  if (rows.length) tx.afterCommit('deliveries.due', { accountId: req.accountId, hints: hintsOf(req.accountId, rows, event) });
  return { event, deliveryCount: rows.length, duplicate: false };
}

/** This instance's delivery thread, which a publish may lease its new rows to (see DeliveryRoom). */
export interface SelfLease {
  room: DeliveryRoom;
  owner: string;
  leaseMs: number;
}

/**
 * A publish of its own, in no caller's transaction (the publishEvent
 * mutation). The event and its deliveries still commit together:
 *
 * - PostgreSQL: one statement inserts both (insertEventWithFanOut), so an
 *   unkeyed publish is a single round trip with no BEGIN or COMMIT. A keyed
 *   one first looks its key up (and releases an expired one). Two publishes
 *   racing with one key: the loser's statement fails on the unique index
 *   once the winner commits, inserting nothing, and the caller retries (see
 *   dispatch/service.ts), which then finds the winner's event. An event
 *   that reaches a webhook with a content filter is published in a
 *   transaction instead (publishInTx), since its filters run in code.
 *   With `self`, the new rows are inserted leased to this instance's
 *   delivery thread while it has room for them, and it sends them without
 *   claiming them (src/base/deliveryRoom.ts).
 * - SQLite: publishInTx in a transaction, which concurrent publishes share
 *   (group commit, see db/sqlite.ts).
 */
export async function publishAlone(sql: Sql, bus: Bus<AppEvents>, req: PublishRequest, now: Date, self?: SelfLease): Promise<Published> {
  if (sql.dialect.provider !== 'postgresql' || filteredAccounts.get(req.accountId)) return sql.tx((tx) => publishInTx(tx, req, now));
  const earlier = req.idempotencyKey ? await earlierPublish(sql, req.accountId, req.idempotencyKey, now) : null;
  if (earlier) return earlier;
  const event = newEvent(req, now);
  const ids = guessIds(req);
  // The expected rows are leased to this instance's delivery thread if it
  // has room for them all (with no guess yet, for one: the statement settles the rest).
  const expected = Math.max(1, ids.length);
  const took = self && self.room.take(expected) ? expected : 0;
  const lease = took ? { owner: self!.owner, until: new Date(now.getTime() + self!.leaseMs) } : null;
  let inserted: boolean, rows: FannedOut[];
  try {
    ({ inserted, rows } = await insertEventWithFanOut(sql, event, false, ids, lease));
  } catch (err) {
    self?.room.settle(took, 0);
    throw err;
  }
  // Rows past the guess were leased too; room the statement did not use goes back.
  if (took)
    self!.room.settle(
      took,
      rows.reduce((n, r) => n + (r.owned ? 1 : 0), 0),
    );
  if (inserted) noteFanOut(req, rows.length);
  if (!inserted) {
    filteredAccounts.set(req.accountId, true);
    return sql.tx((tx) => publishInTx(tx, req, now));
  }
  if (rows.length) bus.emit('deliveries.due', { accountId: req.accountId, hints: hintsOf(req.accountId, rows, event) });
  return { event, deliveryCount: rows.length, duplicate: false };
}
