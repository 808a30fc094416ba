// Input rules for a webhook's routing: the channels it listens on and its
// content filter. Each returns user errors naming the input field (and, for
// a filter, the bad path inside it).
import { checkChannels, MAX_WEBHOOK_CHANNELS } from '../../base/channels.js';
import { invalid, type UserError } from '../../base/errors.js';
import { compileFilter } from '../../base/payloadFilter.js';

export type RoutingCheck<T> = { ok: true; value: T } | { ok: false; errors: UserError[] };

/** The channels to save: distinct names, or null (none given, or an empty list) for "every channel". */
export function checkWebhookChannels(input: readonly string[], field: string[]): RoutingCheck<string[] | null> {
  const check = checkChannels(input, MAX_WEBHOOK_CHANNELS, field);
  if (!check.ok) return check;
  return { ok: true, value: check.channels.length ? check.channels : null };
}

/**
 * The filter to save, as JSON text, or null for none (null, or an object
 * with no condition). Problems name their path in the filter:
 * ["input", "filter", "$or", "1", "amount", "$gt"].
 */
export function checkWebhookFilter(input: unknown, field: string[]): RoutingCheck<string | null> {
  if (input === null || input === undefined) return { ok: true, value: null };
  const check = compileFilter(input);
  if (!check.ok) return { ok: false, errors: check.problems.map((p) => invalid([...field, ...p.path], `filter: ${p.message}`)) };
  return { ok: true, value: check.filter ? JSON.stringify(input) : null };
}
