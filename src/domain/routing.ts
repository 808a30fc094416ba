// previewRouting: which webhooks an event would reach, and for each one it
// would not, why. The decision per webhook is a pure function of the same
// rules the fan-out applies (src/db/stores/events.ts in SQL for state, type
// and channels; src/outbox/publish.ts in code for content filters), written
// out here so each miss can be explained.
import { channelsMatch } from '../base/channels.js';
import type { Result } from '../base/errors.js';
import { ok } from '../base/errors.js';
import type { Caller } from '../base/caller.js';
import { compileFilter, explainMiss } from '../base/payloadFilter.js';
import { ALL_EVENTS } from '../db/stores/events.js';
import { allWebhooks, eventTypesOf, webhookChannels, type Webhook } from '../db/stores/webhooks.js';
import { checkPublish } from './eventInput.js';
import type { Deps } from './deps.js';

export type MissReason = 'STATE' | 'TYPE' | 'CHANNEL' | 'FILTER';

export interface RoutingMiss {
  reason: MissReason;
  message: string;
  /** FILTER: the condition that failed, as a path in the webhook's filter (such as ["amount", "$gt"]); otherwise null. */
  path: string[] | null;
}

/** What routing needs of a webhook. */
export interface RoutedWebhook {
  state: Webhook['state'];
  stateReason: string | null;
  events: readonly string[];
  channels: readonly string[];
  /** The filter's JSON text, or null. */
  filter: string | null;
}

export interface RoutedEvent {
  type: string;
  channels: readonly string[];
  payload: unknown;
}

const list = (names: readonly string[]) => {
  const shown = names.slice(0, 10).map((n) => `"${n}"`);
  return names.length > 10 ? `${shown.join(', ')} and ${names.length - 10} more` : shown.join(', ');
};

/** Every reason `w` does not receive `e` (none: it does), in the order STATE, TYPE, CHANNEL, FILTER. */
export function routingMisses(w: RoutedWebhook, e: RoutedEvent): RoutingMiss[] {
  const misses: RoutingMiss[] = [];
  if (w.state !== 'ACTIVE') {
    misses.push({ reason: 'STATE', message: `the webhook is ${w.state}${w.stateReason ? ` (${w.stateReason})` : ''}`, path: null });
  }
  if (!w.events.includes(e.type) && !w.events.includes(ALL_EVENTS)) {
    misses.push({ reason: 'TYPE', message: `it subscribes to ${list(w.events)}, not to "${e.type}"`, path: null });
  }
  if (!channelsMatch(w.channels, e.channels)) {
    const on = e.channels.length ? `the event is on ${list(e.channels)}` : 'the event has no channels';
    misses.push({ reason: 'CHANNEL', message: `it listens on channels ${list(w.channels)}; ${on}`, path: null });
  }
  if (w.filter !== null) {
    const check = compileFilter(JSON.parse(w.filter));
    // As at publish time, a filter that no longer compiles lets events through.
    const miss = check.ok && check.filter ? explainMiss(check.filter, e.payload) : null;
    if (miss) misses.push({ reason: 'FILTER', message: miss.message, path: miss.path });
  }
  return misses;
}

export interface RoutingDecision {
  webhook: Webhook;
  reached: boolean;
  misses: RoutingMiss[];
}

export interface RoutingPreview {
  deliveryCount: number;
  decisions: RoutingDecision[];
}

export interface PreviewRoutingInput {
  type: string;
  payload?: unknown;
  channels?: readonly string[] | null;
}

/**
 * The decision for every webhook in the caller's account (reached first,
 * then by name). The input is checked as publishEvent checks it, so an event
 * publishEvent would refuse gets the same userErrors here.
 */
export async function previewRouting(deps: Deps, caller: Caller, input: PreviewRoutingInput): Promise<Result<RoutingPreview>> {
  const errors = await checkPublish(deps, caller.accountId, input.type, input.payload, { channels: input.channels });
  if (errors.length) return { ok: false, errors };
  const webhooks = await allWebhooks(deps.sql, caller.accountId);
  const events = await eventTypesOf(
    deps.sql,
    caller.accountId,
    webhooks.map((w) => w.id),
  );
  const event: RoutedEvent = { type: input.type, channels: [...new Set(input.channels ?? [])], payload: input.payload };
  const decisions = webhooks.map((webhook) => {
    const misses = routingMisses({ ...webhook, events: events.get(webhook.id) ?? [], channels: webhookChannels(webhook) }, event);
    return { webhook, reached: misses.length === 0, misses };
  });
  decisions.sort((a, b) => Number(b.reached) - Number(a.reached) || a.webhook.name.localeCompare(b.webhook.name));
  return ok({ deliveryCount: decisions.filter((d) => d.reached).length, decisions });
}
