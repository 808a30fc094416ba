// Everything with a lifetime that one instance runs on, built once by the
// composition root (src/app/app.ts) and handed to every request through the
// GraphQL context.
import type { LiveInterest } from '../base/liveInterest.js';
import type { DispatchDeps } from '../dispatch/service.js';
import type { Fanout } from '../live/fanout.js';
import type { StreamLimits } from '../live/limits.js';
import type { CredentialExpiry } from '../live/expiry.js';
import type { Live, LivePubSub, RedisStatus } from '../live/pubsub.js';
import type { Metrics } from './metrics.js';

export interface AppState extends DispatchDeps {
  pubsub: LivePubSub;
  /** graphql-ws subscribers of live topics (see src/live/fanout.ts). */
  fanout: Fanout;
  /** Open WebSocket connections and SSE streams per API key and account. */
  streams: StreamLimits;
  /** Whether the Redis carrying live events is reachable ('disabled' without REDIS_URL). */
  redis(): RedisStatus;
  /** Ends console-link streams when the link expires (src/live/expiry.ts). */
  expiry: CredentialExpiry;
  /** See Live.ready: streams that read history after subscribing wait for it. */
  liveReady: Live['ready'];
  /** Whether this instance has listeners of the delivery log (read by the delivery thread). */
  liveInterest: LiveInterest;
  /** The instance's Prometheus registry (GET /metrics). */
  metrics: Metrics;
}
