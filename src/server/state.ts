// Everything with a lifetime that one instance runs on, built once by the
// composition root (src/app/app.ts) and handed to every request through the
// GraphQL context.
import type { DispatchDeps } from '../dispatch/service.js';
import type { LivePubSub } from '../live/pubsub.js';

export interface AppState extends DispatchDeps {
  pubsub: LivePubSub;
}
