// What domain services and dispatch are given by the composition root
// (src/app/app.ts). Nothing here is a module-level singleton.
import type { Bus } from '../base/bus.js';
import type { Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import type { DeliveryRoom } from '../base/deliveryRoom.js';
import type { Keyring } from '../base/keyring.js';
import type { Logger } from '../base/logger.js';
import type { Database } from '../db/database.js';
import type { AppEvents } from '../db/events.js';
import type { Sql } from '../db/sql.js';
import type { Caches } from './caches.js';

export interface Deps {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Database;
  /** Shorthand for db.sql: the stores' connection. */
  sql: Sql;
  keyring: Keyring;
  bus: Bus<AppEvents>;
  caches: Caches;
  /** Free slots of this instance's delivery thread (none runs: zero), which publishes may lease new rows to. */
  deliveryRoom: DeliveryRoom;
}
