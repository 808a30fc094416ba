// Everything with a lifetime that one instance runs on, built once by the
// composition root (src/app/app.ts) and handed to every request through the
// GraphQL context.
import type { DispatchDeps } from '../dispatch/service.js';
import type { Fanout } from '../live/fanout.js';
import type { LivePubSub } from '../live/pubsub.js';

export interface AppState extends DispatchDeps {
  pubsub: LivePubSub;
  /** graphql-ws subscribers of live topics (see src/live/fanout.ts). */
  fanout: Fanout;
}
