// The delivery log's live streams: attempts (optionally from a cursor, see
// catchUp.ts) and delivery changes, each with the log's filter. Without a
// cursor a stream is a plain live source, so graphql-ws subscribers share
// executions through the fan-out registry (fanout.ts).
import { decodeLogCursor, keyOf } from '../domain/log/cursor.js';
import { matchesAttempt, matchesDelivery, type AttemptFilter, type DeliveryFilter } from '../domain/log/filter.js';
import { attemptsAfter } from '../domain/log/service.js';
import type { AppState } from '../server/state.js';
import { catchUp } from './catchUp.js';
import { liveSource } from './source.js';

export interface StreamSpec<F> {
  accountId: string;
  apiKeyId: string;
  /** Checked (src/domain/log/filter.ts). */
  filter: F;
}

export function attemptStream(app: AppState, spec: StreamSpec<AttemptFilter> & { after: string | null }) {
  const { accountId, apiKeyId, filter } = spec;
  // Checked before subscribing: a bad cursor is a BAD_USER_INPUT error naming `after`.
  const after = spec.after === null ? null : decodeLogCursor(spec.after, 'attempt', 'after');
  const live = liveSource(app.pubsub, { topic: 'attempts:account', accountId, apiKeyId, accept: (a) => matchesAttempt(filter, a) });
  if (!after) return live;
  return catchUp({
    live,
    ready: () => app.liveReady('attempts:account', accountId),
    after,
    history: (key, n) => attemptsAfter(app, accountId, filter, key, n),
    keyOf,
    idOf: (a) => a.id,
  });
}

export function deliveryStream(app: AppState, spec: StreamSpec<DeliveryFilter>) {
  const { accountId, apiKeyId, filter } = spec;
  return liveSource(app.pubsub, { topic: 'deliveries:account', accountId, apiKeyId, accept: (d) => matchesDelivery(filter, d) });
}
