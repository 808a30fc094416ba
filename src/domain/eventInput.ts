// The checks an event passes before anything is written, shared by
// publishEvent (src/dispatch/service.ts) and previewRouting
// (./routing.ts), so a preview refuses exactly what a publish would.
import { checkChannels, MAX_EVENT_CHANNELS } from '../base/channels.js';
import { invalid, type UserError } from '../base/errors.js';
import { deeperThan, isPlainObject } from '../base/json.js';
import { checkAgainstSchema, findCatalogType } from './catalog.js';
import type { Deps } from './deps.js';

export interface PublishOptions {
  idempotencyKey?: string | null;
  /** Channels to publish to (see src/base/channels.ts); none: only webhooks without channels receive it. */
  channels?: readonly string[] | null;
}

/** Objects and arrays in a payload, counting the payload itself. */
export const MAX_PAYLOAD_DEPTH = 64;

/** What a publish (or a routing preview) checks before writing anything: type, payload (and its schema), channels, key. */
export async function checkPublish(
  deps: Deps,
  accountId: string,
  type: string,
  payload: unknown,
  opts: PublishOptions,
): Promise<UserError[]> {
  const errors: UserError[] = [];
  const known = await findCatalogType(deps, accountId, type);
  if (!known) errors.push(invalid(['input', 'type'], `Unknown event type "${type}"; add it to the event catalog first`));
  if (!isPlainObject(payload)) errors.push(invalid(['input', 'payload'], 'payload must be a JSON object'));
  // Checked before serialising: JSON.stringify overflows the stack on very deep values.
  else if (deeperThan(payload, MAX_PAYLOAD_DEPTH)) {
    errors.push(invalid(['input', 'payload'], `payload must be nested at most ${MAX_PAYLOAD_DEPTH} levels deep`));
  } else {
    const size = Buffer.byteLength(JSON.stringify(payload));
    const max = deps.config.maxPayloadBytes;
    if (size > max) errors.push(invalid(['input', 'payload'], `payload is ${size} bytes; the limit is ${max}`));
    else if (known) errors.push(...checkAgainstSchema(known, payload, ['input', 'payload']));
  }
  if (opts.channels) {
    const channels = checkChannels(opts.channels, MAX_EVENT_CHANNELS, ['input', 'channels']);
    if (!channels.ok) errors.push(...channels.errors);
  }
  const key = opts.idempotencyKey;
  if (key !== undefined && key !== null && (key.length === 0 || key.length > 255)) {
    errors.push(invalid(['input', 'idempotencyKey'], 'idempotencyKey must be 1 to 255 characters'));
  }
  return errors;
}
