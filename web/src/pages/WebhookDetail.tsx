// One webhook: every field, secret rotation, stats, ping, recover since a
// date, and its live delivery log.
import { useRef, useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { useApp } from '../app-context';
import { PING, RECOVER, ROTATE_SECRET, WEBHOOK_DETAIL } from '../operations';
import { onLinkClick } from '../router';
import { CopyButton, SecretDialog, StateDot } from '../ui/common';
import { headerLines, when } from '../ui/format';
import { LockIcon } from '../ui/icons';
import { LiveLog } from './LiveLog';

export function WebhookDetailPage(props: { id: string }) {
  const { isAdmin, flash, application } = useApp();
  const [{ data, error }, refetch] = useQuery({ query: WEBHOOK_DETAIL, variables: { id: props.id } });
  const [, rotate] = useMutation(ROTATE_SECRET);
  const [{ fetching: pinging }, ping] = useMutation(PING);
  const [, recover] = useMutation(RECOVER);
  const [secret, setSecret] = useState<string | null>(null);
  const [since, setSince] = useState('');
  const w = data?.webhook;
  // New attempts change the stats: refresh them, at most every 2 s.
  const lastRefresh = useRef(0);
  const onActivity = () => {
    if (Date.now() - lastRefresh.current < 2000) return;
    lastRefresh.current = Date.now();
    setTimeout(() => refetch({ requestPolicy: 'network-only' }), 300);
  };
  if (error) return <p role="alert">{error.message}</p>;
  if (data && !w) return <p role="alert">No such webhook in this account.</p>;
  if (!w) return <p aria-busy="true">Loading…</p>;
  const canAct = isAdmin && (!w.isApplicationManaged || w.managingApplication === application);
  const errOf = (res: { error?: { message: string }; data?: unknown }, errs?: readonly { message: string }[]) =>
    res.error?.message ?? errs?.[0]?.message ?? null;
  return (
    <>
      <p>
        <a href="/webhooks" onClick={onLinkClick}>
          ← Webhooks
        </a>
      </p>
      <section aria-labelledby="wh-title">
        <div class="page-head">
          <h1 id="wh-title">{w.name}</h1>
          <div class="head-actions">
            {isAdmin && (
              <button
                type="button"
                disabled={!canAct || pinging}
                title={canAct ? undefined : `Managed by the application ${w.managingApplication ?? ''}`}
                onClick={() =>
                  void ping({ id: w.id }).then((res) => {
                    const err = errOf(res, res.data?.pingWebhook.userErrors);
                    const at = res.data?.pingWebhook.attempt;
                    if (err) flash('error', err);
                    else
                      flash(
                        'success',
                        `Ping sent: ${at?.status ?? ''}${at?.responseStatus ? ` (HTTP ${at.responseStatus})` : ''} in ${at?.durationMs ?? 0} ms.`,
                      );
                    refetch({ requestPolicy: 'network-only' });
                  })
                }
              >
                Ping
              </button>
            )}
            {isAdmin && (
              <button
                type="button"
                disabled={!canAct}
                onClick={() =>
                  void rotate({ id: w.id }).then((res) => {
                    const err = errOf(res, res.data?.rotateWebhookSecret.userErrors);
                    if (err) flash('error', err);
                    else setSecret(res.data?.rotateWebhookSecret.secret ?? '');
                  })
                }
              >
                Rotate secret
              </button>
            )}
          </div>
        </div>
        {w.isApplicationManaged && (
          <p class="notice">
            <LockIcon /> Managed by the application <strong>{w.managingApplication}</strong>: it is changed through that application&apos;s
            API keys, not from the console.
          </p>
        )}
        <dl class="fields">
          <dt>ID</dt>
          <dd class="mono">
            {w.id} <CopyButton text={w.id} label="Copy webhook ID" />
          </dd>
          <dt>Target URL</dt>
          <dd class="mono">{w.targetUrl}</dd>
          <dt>Status</dt>
          <dd>
            {w.state} <StateDot name={w.name} state={w.state} reason={w.stateReason} changedAt={w.stateChangedAt} />
            {w.stateReason && <span class="reason"> — {w.stateReason}</span>} (since {when(w.stateChangedAt)})
          </dd>
          <dt>Events</dt>
          <dd>{w.events.join(', ')}</dd>
          <dt>Owner</dt>
          <dd>{w.owner.name}</dd>
          <dt>Type</dt>
          <dd>{w.type}</dd>
          <dt>Custom headers</dt>
          <dd>
            <pre class="mono">{headerLines(w.headers)}</pre>
          </dd>
          <dt>Properties</dt>
          <dd>
            <pre class="mono">{JSON.stringify(w.properties, null, 2)}</pre>
          </dd>
          <dt>Created</dt>
          <dd>
            {when(w.registered)} by {w.registeredAssociate.name}
          </dd>
          <dt>Updated</dt>
          <dd>
            {when(w.updated)} by {w.updatedAssociate.name}
          </dd>
        </dl>
        <h2>Stats</h2>
        <dl class="stats">
          <div>
            <dt>Succeeded</dt>
            <dd>{w.stats.succeededCount}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd>{w.stats.failedCount}</dd>
          </div>
          <div>
            <dt>Pending</dt>
            <dd>{w.stats.pendingCount}</dd>
          </div>
          <div>
            <dt>Failures in a row</dt>
            <dd>{w.stats.consecutiveFailures}</dd>
          </div>
          <div>
            <dt>Last attempt</dt>
            <dd>{when(w.stats.lastAttemptAt)}</dd>
          </div>
          <div>
            <dt>Last success</dt>
            <dd>{when(w.stats.lastSuccessAt)}</dd>
          </div>
        </dl>
        {isAdmin && (
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              if (!since) return;
              void recover({ id: w.id, since: new Date(since).toISOString() }).then((res) => {
                const err = errOf(res, res.data?.recoverWebhook.userErrors);
                if (err) flash('error', err);
                else flash('success', `Recovered: ${res.data?.recoverWebhook.requeuedCount ?? 0} failed deliveries requeued.`);
              });
            }}
          >
            <label>
              Recover failed deliveries since
              <input type="datetime-local" value={since} onInput={(e) => setSince((e.target as HTMLInputElement).value)} required />
            </label>
            <button type="submit" disabled={!canAct}>
              Recover
            </button>
          </form>
        )}
      </section>
      <LiveLog webhookId={w.id} title="Delivery log" onActivity={onActivity} />
      {secret !== null && (
        <SecretDialog title="New signing secret" label="Signing secret" secret={secret} onClose={() => setSecret(null)} />
      )}
    </>
  );
}
