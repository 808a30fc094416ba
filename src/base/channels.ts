// Channels (Svix's channels, Hook0's labels): names an event is published to
// and a webhook listens on. A webhook without channels receives events
// whatever their channels; a webhook with channels receives only events that
// carry at least one of them (so none without channels). The fan-out applies
// this rule in SQL (src/db/stores/events.ts); this is the same rule in code,
// for previewRouting and the unit tests.
import { invalid, type UserError } from './errors.js';

/** Event type names and channel names: letters, digits, ".", "_", "-" and ":", 1 to 100 characters. */
export const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
export const MAX_EVENT_CHANNELS = 10;
export const MAX_WEBHOOK_CHANNELS = 50;

export type ChannelsCheck = { ok: true; channels: string[] } | { ok: false; errors: UserError[] };

/** The distinct channel names, in the order given; each must match NAME_PATTERN. */
export function checkChannels(input: readonly string[], max: number, field: string[]): ChannelsCheck {
  const errors: UserError[] = [];
  input.forEach((c, i) => {
    if (!NAME_PATTERN.test(c)) {
      errors.push(invalid([...field, String(i)], `"${c}" is not a channel name: use 1 to 100 letters, digits, ".", "_", "-" or ":"`));
    }
  });
  const channels = [...new Set(input)];
  if (channels.length > max) errors.push(invalid(field, `at most ${max} channels are allowed`));
  return errors.length ? { ok: false, errors } : { ok: true, channels };
}

/** Whether a webhook listening on `webhookChannels` (null or empty: all) receives an event carrying `eventChannels`. */
export function channelsMatch(webhookChannels: readonly string[] | null, eventChannels: readonly string[]): boolean {
  if (!webhookChannels || webhookChannels.length === 0) return true;
  return eventChannels.some((c) => webhookChannels.includes(c));
}
