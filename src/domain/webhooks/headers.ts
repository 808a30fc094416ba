// A webhook's custom headers as the API shows them: opened from their sealed
// column, with the values of sensitive headers masked. Every reader (queries,
// mutation payloads, the webhookStateChanged stream) goes through here.
import { maskHeaders, markedNames, sensitiveHeaderNames, type HeaderMap } from '../../base/customHeaders.js';
import type { Webhook } from '../../db/stores/webhooks.js';
import type { Deps } from '../deps.js';

export type SealedHeaders = Pick<Webhook, 'id' | 'headersCiphertext' | 'sensitiveHeaders'>;

/** The stored headers in clear, for the rules that need them (an update keeping masked values). */
export function openWebhookHeaders(deps: Pick<Deps, 'keyring'>, w: SealedHeaders): HeaderMap {
  return deps.keyring.headers.open(w.id, w.headersCiphertext);
}

export function shownHeaders(deps: Pick<Deps, 'keyring'>, w: SealedHeaders): { headers: HeaderMap; sensitiveHeaders: string[] } {
  const headers = openWebhookHeaders(deps, w);
  const marks = markedNames(w.sensitiveHeaders);
  return { headers: maskHeaders(headers, marks), sensitiveHeaders: sensitiveHeaderNames(headers, marks) };
}
