// A live delivery log: the stored history first, then attempts streamed over
// graphql-ws as they finish, newest on top, with no gap and no duplicate
// (see live-log.ts), a status filter, pause/resume, and a catch-up after the
// socket comes back (a server restart).
import { memo } from '../ui/memo';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useClient, useMutation, useQuery } from '@urql/preact';
import { stringifyDocument } from '@urql/core';
import { useApp } from '../app-context';
import { ATTEMPT_DETAIL, ATTEMPTS_STREAM, LOG_PAGE, REDELIVER } from '../operations';
import type { ResultOf } from '../graphql';
import { onLinkClick } from '../router';
import { createLogBuffer, newestFirst, REOPEN_MS, streamRefusal, type LogBuffer } from '../live-log';
import { Dialog } from '../ui/Dialog';
import { headerLines, prettyBody, when } from '../ui/format';

export type Attempt = ResultOf<typeof ATTEMPTS_STREAM>['deliveryAttempts'];
type Status = 'SUCCEEDED' | 'FAILED' | '';
// Rows kept on the page: older ones leave the window (the history stays one query away).
const WINDOW = 300;
const HISTORY_PAGE = 50;
// While attempts stream in, the log renders at most 4 times a second (see createLogBuffer).
const RENDER_INTERVAL_MS = 250;

export function LiveLog(props: { webhookId?: string; title: string; onActivity?: () => void }) {
  const { session } = useApp();
  const client = useClient();
  const [status, setStatus] = useState<Status>('');
  const [rows, setRows] = useState<Attempt[]>([]);
  const [waiting, setWaiting] = useState(0);
  const [paused, setPaused] = useState(false);
  const [live, setLive] = useState(session.liveState());
  const [notice, setNotice] = useState<string | null>(null);
  const [older, setOlder] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const buffer = useRef<LogBuffer<Attempt> | null>(null);

  useEffect(() => {
    let shown: Attempt[] = [];
    const buf = createLogBuffer<Attempt>({
      max: WINDOW,
      minIntervalMs: RENDER_INTERVAL_MS,
      onRender: (r, w) => {
        if (r !== shown && shown.length) props.onActivity?.();
        shown = r;
        setRows(r);
        setWaiting(w);
      },
    });
    buffer.current = buf;
    setPaused(false);
    setOlder(null);
    setNotice(null);
    let disposed = false;
    const filter = {
      ...(props.webhookId ? { webhookIds: [props.webhookId] } : {}),
      ...(status ? { statuses: [status] } : {}),
    };
    // The newest attempt seen (shown or waiting): the stream resumes after it.
    let newest: Attempt | null = null;
    const take = (a: Attempt) => {
      if (!newest || newestFirst(a, newest) < 0) newest = a;
      buf.push(a);
    };
    let unsubscribe: (() => void) | null = null;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;
    const openStream = () => {
      clearTimeout(reopenTimer);
      if (disposed) return;
      // The new stream starts before the old one ends, so the (lazy) socket stays open.
      const previous = unsubscribe;
      let ended = false;
      const end = () => {
        ended = true;
        release();
      };
      // A stream that ends without being asked to (the server completed it,
      // or an error other than a refusal) is opened again from the newest
      // attempt: with a lazy socket, a stream that is gone also stops the
      // reconnecting, and the page would stay disconnected for good.
      const reopenLater = () => {
        if (ended || disposed) return;
        ended = true;
        reopenTimer = setTimeout(openStream, REOPEN_MS);
      };
      const refusedOrReopen = (err: unknown) => {
        if (ended || disposed) return;
        const refusal = streamRefusal(err);
        if (!refusal) return reopenLater();
        ended = true;
        setNotice(`The live stream was refused (${refusal}); reload the page.`);
      };
      const release = session.ws.subscribe<{ deliveryAttempts: Attempt }>(
        { query: stringifyDocument(ATTEMPTS_STREAM), variables: { after: newest?.cursor ?? null, filter } },
        {
          next: (msg) => {
            if (msg.data?.deliveryAttempts) take(msg.data.deliveryAttempts);
            // A revoked key's streams end with its error as the last event.
            else if (msg.errors?.length) refusedOrReopen(msg.errors);
          },
          error: refusedOrReopen,
          complete: reopenLater,
        },
      );
      unsubscribe = end;
      previous?.();
    };
    const loadPage = async (after: string | null) => {
      const res = await client.query(LOG_PAGE, { first: HISTORY_PAGE, after, filter }, { requestPolicy: 'network-only' }).toPromise();
      const conn = res.data?.deliveryAttempts;
      if (!conn || disposed) return;
      conn.nodes.forEach(take);
      setOlder(conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null);
    };
    loadOlderRef.current = loadPage;
    // History first, then the stream from the newest attempt in it.
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      void loadPage(null).then(() => !disposed && openStream());
    };
    let wasDown = false;
    start();
    const off = session.onLiveState((s) => {
      setLive(s);
      if (s === 'disconnected' && !wasDown) {
        wasDown = true;
        setNotice('Live updates lost the connection to Hookline. Reconnecting…');
      }
      if (s === 'connected') {
        if (wasDown) {
          wasDown = false;
          // graphql-ws resubscribes the old stream from its first cursor; open
          // one from the newest attempt we have instead (duplicates are dropped).
          openStream();
          setNotice('Reconnected. The log caught up with attempts made while it was disconnected.');
        }
      }
    });
    return () => {
      disposed = true;
      clearTimeout(reopenTimer);
      off();
      unsubscribe?.();
      buf.dispose();
    };
  }, [props.webhookId, status]);
  const loadOlderRef = useRef<((after: string | null) => Promise<void>) | null>(null);

  return (
    <section class="log" aria-labelledby="log-title">
      <div class="page-head">
        <h2 id="log-title">{props.title}</h2>
        <span class={`live ${live}`} role="status">
          {live === 'connected' ? (paused ? 'Paused' : 'Live') : live === 'connecting' ? 'Connecting…' : 'Disconnected, reconnecting…'}
        </span>
      </div>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <div class="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as Status)}>
            <option value="">Any</option>
            <option value="SUCCEEDED">Succeeded</option>
            <option value="FAILED">Failed</option>
          </select>
        </label>
        <button
          type="button"
          aria-pressed={paused}
          onClick={() => {
            const b = buffer.current!;
            if (b.paused) b.resume();
            else b.pause();
            setPaused(b.paused);
          }}
        >
          {paused ? 'Resume live updates' : 'Pause live updates'}
        </button>
        {waiting > 0 && paused && <span role="status">{waiting} new attempt(s) waiting</span>}
      </div>
      <table class="grid log-table">
        <caption class="sr-only">{props.title}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Status</th>
            <th scope="col">HTTP</th>
            <th scope="col">Duration</th>
            <th scope="col">Trigger</th>
            <th scope="col">Attempt</th>
            {!props.webhookId && <th scope="col">Webhook</th>}
            <th scope="col">
              <span class="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <AttemptRow key={a.id} a={a} showWebhook={!props.webhookId} onOpen={setOpen} />
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={8}>No attempts yet.</td>
            </tr>
          )}
        </tbody>
      </table>
      {older && (
        <button type="button" onClick={() => void loadOlderRef.current?.(older)}>
          Load older attempts
        </button>
      )}
      {open && <AttemptDialog id={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

// Rows are immutable once recorded: memo means a batch renders only its new rows.
const AttemptRow = memo(function AttemptRow(props: { a: Attempt; showWebhook: boolean; onOpen: (id: string) => void }) {
  const { a } = props;
  const at = when(a.createdAt);
  return (
    <tr key={a.id} class={`attempt ${a.status.toLowerCase()}`} data-attempt-id={a.id}>
      <td>{at}</td>
      <td>{a.status}</td>
      <td>{a.responseStatus ?? '—'}</td>
      <td>{a.durationMs} ms</td>
      <td>{a.trigger}</td>
      <td>#{a.attemptNumber}</td>
      {props.showWebhook && (
        <td class="clip">
          <a href={`/webhooks/${encodeURIComponent(a.webhookId)}`} onClick={onLinkClick}>
            {a.webhookId}
          </a>
        </td>
      )}
      <td>
        <button type="button" onClick={() => props.onOpen(a.id)} aria-label={`Open attempt ${a.attemptNumber} at ${at}`}>
          Open
        </button>
      </td>
    </tr>
  );
});
function AttemptDialog(props: { id: string; onClose: () => void }) {
  const { isAdmin, flash } = useApp();
  const [{ data, error }] = useQuery({ query: ATTEMPT_DETAIL, variables: { id: props.id }, requestPolicy: 'network-only' });
  const [{ fetching }, redeliver] = useMutation(REDELIVER);
  const a = data?.deliveryAttempt;
  return (
    <Dialog title="Delivery attempt" onClose={props.onClose} wide>
      {error && <p role="alert">{error.message}</p>}
      {a && (
        <div class="attempt-detail">
          <dl class="fields">
            <dt>Status</dt>
            <dd>{a.status}</dd>
            <dt>HTTP status</dt>
            <dd>{a.responseStatus ?? '—'}</dd>
            <dt>Duration</dt>
            <dd>{a.durationMs} ms</dd>
            <dt>Trigger</dt>
            <dd>{a.trigger}</dd>
            <dt>Attempt</dt>
            <dd>#{a.attemptNumber}</dd>
            <dt>Time</dt>
            <dd>{when(a.createdAt)}</dd>
            <dt>Request URL</dt>
            <dd class="mono">{a.requestUrl}</dd>
            <dt>Error</dt>
            <dd class="mono">{a.error ?? '—'}</dd>
            <dt>Next attempt</dt>
            <dd>{when(a.nextAttemptAt)}</dd>
          </dl>
          <h3>Request headers</h3>
          <pre class="mono" data-part="request-headers">
            {headerLines(a.requestHeaders)}
          </pre>
          <h3>Request body</h3>
          <pre class="mono" data-part="request-body">
            {prettyBody(a.requestBody)}
          </pre>
          <h3>Response headers</h3>
          <pre class="mono" data-part="response-headers">
            {headerLines(a.responseHeaders)}
          </pre>
          <h3>Response body</h3>
          <pre class="mono" data-part="response-body">
            {prettyBody(a.responseBody)}
          </pre>
        </div>
      )}
      <div class="actions">
        {isAdmin && a && (
          <button
            type="button"
            disabled={fetching}
            onClick={() =>
              void redeliver({ deliveryId: a.deliveryId }).then((res) => {
                const err = res.error?.message ?? res.data?.redeliver.userErrors[0]?.message;
                const at = res.data?.redeliver.attempt;
                if (err) flash('error', err);
                else
                  flash(
                    'success',
                    `Redelivered: attempt #${at?.attemptNumber ?? '?'} ${at?.status ?? ''}${at?.responseStatus ? ` (HTTP ${at.responseStatus})` : ''}.`,
                  );
                props.onClose();
              })
            }
          >
            Redeliver
          </button>
        )}
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
