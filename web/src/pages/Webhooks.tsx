// The webhooks panel (003): sortable, filterable, paged on the server; the
// URL keeps sort, filter and page.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { memo } from '../ui/memo';
import { useMutation, useQuery } from '@urql/preact';
import { useApp } from '../app-context';
import { CATALOG, DELETE_BY_URL, DELETE_WEBHOOK, SET_ACTIVE, WEBHOOKS_PAGE } from '../operations';
import type { ResultOf } from '../graphql';
import { followLink, navigate, withQuery } from '../router';
import { ConfirmDialog, SecretDialog, StateDot } from '../ui/common';
import { Dialog } from '../ui/Dialog';
import { copyText, when } from '../ui/format';
import { LockIcon } from '../ui/icons';
import { WebhookDialog } from './WebhookDialog';

const SIZES = [25, 50, 100] as const;
// Refetch after any Webhook mutation, even when the page is empty (urql only knows typenames it has seen).
const WEBHOOK_TYPES = { additionalTypenames: ['Webhook'] };
const FIELDS = ['NAME', 'TARGET_URL', 'OWNER', 'REGISTERED', 'STATE'] as const;
type SortField = (typeof FIELDS)[number];
const STATES = ['ACTIVE', 'STOPPED', 'TOO_MANY_ERRORS'] as const;
type WebhookRow = ResultOf<typeof WEBHOOKS_PAGE>['webhooksPage']['items'][number];

interface View {
  sort: SortField;
  dir: 'ASC' | 'DESC';
  state: (typeof STATES)[number] | '';
  event: string;
  q: string;
  page: number;
  size: (typeof SIZES)[number];
}

function readView(q: URLSearchParams): View {
  const sort = FIELDS.find((f) => f === q.get('sort')) ?? 'REGISTERED';
  const dir = q.get('dir') === 'ASC' ? 'ASC' : q.get('dir') === 'DESC' ? 'DESC' : sort === 'REGISTERED' ? 'DESC' : 'ASC';
  const state = STATES.find((s) => s === q.get('state')) ?? '';
  const page = Math.max(1, Number.parseInt(q.get('page') ?? '1', 10) || 1);
  const size = SIZES.find((n) => String(n) === q.get('size')) ?? 25;
  return { sort, dir, state, event: q.get('event') ?? '', q: q.get('q') ?? '', page, size };
}

const viewUrl = (v: View) =>
  withQuery('/webhooks', {
    sort: v.sort,
    dir: v.dir,
    state: v.state,
    event: v.event,
    q: v.q,
    size: v.size === 25 ? null : v.size,
    page: v.page > 1 ? v.page : null,
  });

export function WebhooksPage(props: { query: URLSearchParams }) {
  const { isAdmin, flash, application } = useApp();
  const view = readView(props.query);
  const go = (patch: Partial<View>, replace = false) => navigate(viewUrl({ ...view, page: 1, ...patch }), { replace });
  const filter = { state: view.state || undefined, event: view.event || undefined, search: view.q || undefined };
  const [{ data, fetching, error }] = useQuery({
    query: WEBHOOKS_PAGE,
    context: WEBHOOK_TYPES,
    variables: { filter, orderBy: { field: view.sort, direction: view.dir }, page: view.page, limit: view.size },
  });
  const [{ data: catalog }] = useQuery({ query: CATALOG });
  const [search, setSearch] = useState(view.q);
  useEffect(() => setSearch(view.q), [view.q]);
  useEffect(() => {
    if (search === view.q) return;
    const t = setTimeout(() => go({ q: search }, true), 300);
    return () => clearTimeout(t);
  }, [search]);

  const [dialog, setDialog] = useState<
    | { kind: 'create' }
    | { kind: 'edit'; id: string }
    | { kind: 'delete'; row: WebhookRow }
    | { kind: 'deleteByUrl' }
    | { kind: 'secret'; secret: string; name: string }
    | null
  >(null);
  const [, deleteWebhook] = useMutation(DELETE_WEBHOOK);
  const [, deleteByUrl] = useMutation(DELETE_BY_URL);
  const [, setActive] = useMutation(SET_ACTIVE);
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  // One object for the page's lifetime, so memoised rows are not re-rendered for new callbacks.
  const rowActions = useMemo<RowActions>(
    () => ({
      edit: (w) => setDialog({ kind: 'edit', id: w.id }),
      remove: (w) => setDialog({ kind: 'delete', row: w }),
      setActive(w, active) {
        setPending((p) => new Set(p).add(w.id));
        void setActive({ id: w.id, active }).then((res) => {
          setPending((p) => {
            const next = new Set(p);
            next.delete(w.id);
            return next;
          });
          const err = res.error?.message ?? res.data?.setWebhookActive.userErrors[0]?.message;
          if (err) flash('error', err);
          else flash('success', `Webhook "${w.name}" is now ${active ? 'active' : 'inactive'}.`);
        });
      },
    }),
    [],
  );
  const page = data?.webhooksPage;
  const pages = page ? Math.max(1, Math.ceil(page.totalCount / view.size)) : 1;

  const header = (field: SortField, label: string) => {
    const active = view.sort === field;
    const next = active && view.dir === 'ASC' ? 'DESC' : 'ASC';
    return (
      <th scope="col" aria-sort={active ? (view.dir === 'ASC' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" class="sort" onClick={() => go({ sort: field, dir: next, page: view.page })}>
          {label}
          <span aria-hidden="true">{active ? (view.dir === 'ASC' ? ' ▲' : ' ▼') : ' ↕'}</span>
        </button>
      </th>
    );
  };

  return (
    <section aria-labelledby="webhooks-title">
      <div class="page-head">
        <h1 id="webhooks-title">Webhooks</h1>
        {isAdmin && (
          <div class="head-actions">
            <button type="button" onClick={() => setDialog({ kind: 'deleteByUrl' })}>
              Delete by URL
            </button>
            <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })}>
              Create webhook
            </button>
          </div>
        )}
      </div>
      <form class="filters" role="search" onSubmit={(e) => (e.preventDefault(), go({ q: search }))}>
        <label>
          Search
          <input type="search" placeholder="Name or URL" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          State
          <select value={view.state} onChange={(e) => go({ state: (e.target as HTMLSelectElement).value as View['state'] })}>
            <option value="">Any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Event type
          <select value={view.event} onChange={(e) => go({ event: (e.target as HTMLSelectElement).value })}>
            <option value="">Any</option>
            {(catalog?.eventTypes ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error && (
        <p role="alert" class="error">
          {error.message}
        </p>
      )}
      <table class="grid webhooks" aria-busy={fetching}>
        <caption class="sr-only">Webhooks, sorted by {view.sort.toLowerCase().replace('_', ' ')}</caption>
        <thead>
          <tr>
            {header('NAME', 'Name')}
            {header('TARGET_URL', 'URL')}
            {header('OWNER', 'Owner')}
            <th scope="col">Event groups</th>
            {header('REGISTERED', 'Created')}
            {header('STATE', 'Status')}
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody onClick={(e) => onRowEvent(e, page?.items, rowActions)} onChange={(e) => onRowEvent(e, page?.items, rowActions)}>
          {page?.items.map((w) => (
            <WebhookTableRow
              key={w.id}
              w={w}
              groups={groupsOf(w)}
              canChange={isAdmin}
              application={application}
              pending={pending.has(w.id)}
              actions={rowActions}
            />
          ))}
          {page && page.items.length === 0 && (
            <tr>
              <td colSpan={7}>No webhooks match.</td>
            </tr>
          )}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={view.page <= 1} onClick={() => go({ page: view.page - 1 })}>
          Previous page
        </button>
        <span>
          Page {view.page} of {pages} · {page?.totalCount ?? 0} webhooks
        </span>
        <button type="button" disabled={view.page >= pages} onClick={() => go({ page: view.page + 1 })}>
          Next page
        </button>
        <label>
          Rows per page{' '}
          <select value={view.size} onChange={(e) => go({ size: Number((e.target as HTMLSelectElement).value) as View['size'] })}>
            {SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </nav>

      {dialog?.kind === 'create' && (
        <WebhookDialog onClose={() => setDialog(null)} onCreated={(secret, name) => setDialog({ kind: 'secret', secret, name })} />
      )}
      {dialog?.kind === 'edit' && <WebhookDialog webhookId={dialog.id} onClose={() => setDialog(null)} onCreated={() => setDialog(null)} />}
      {dialog?.kind === 'secret' && (
        <SecretDialog title={`Secret of ${dialog.name}`} label="Signing secret" secret={dialog.secret} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title="Delete webhook"
          confirm="Delete"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const res = await deleteWebhook({ id: dialog.row.id }, { additionalTypenames: ['Webhook'] });
            const err = res.error?.message ?? res.data?.deleteWebhook.userErrors[0]?.message;
            if (err) return err;
            flash('success', `Webhook "${dialog.row.name}" was deleted.`);
            setDialog(null);
            return null;
          }}
        >
          <p>
            Delete <strong>{dialog.row.name}</strong> ({dialog.row.targetUrl})? Its pending deliveries stop.
          </p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'deleteByUrl' && (
        <DeleteByUrlDialog
          onClose={() => setDialog(null)}
          onDelete={async (url) => {
            const res = await deleteByUrl({ url }, { additionalTypenames: ['Webhook'] });
            const err = res.error?.message ?? res.data?.deleteWebhooksByUrl.userErrors[0]?.message;
            if (err) return err;
            flash('success', `Deleted ${res.data?.deleteWebhooksByUrl.deletedWebhookIds.length ?? 0} webhook(s) with URL ${url}.`);
            setDialog(null);
            return null;
          }}
        />
      )}
    </section>
  );
}

/** The 003 "related actor types": the catalog groups of the webhook's events (Webhook.eventTypes). */
function groupsOf(w: WebhookRow): string {
  if (w.events.includes('*')) return 'All events';
  return [...new Set(w.eventTypes.map((t) => t.group))].sort().join(', ');
}

interface RowActions {
  edit(w: WebhookRow): void;
  remove(w: WebhookRow): void;
  setActive(w: WebhookRow, active: boolean): void;
}

/**
 * One row. Rendering 100 of these is the page's budget (one frame), so a row
 * holds no hooks of its own: the toggle's mutation lives on the page (one
 * for all rows, `pending` marks the rows it is changing), the callbacks are
 * one stable object, and memo skips rows whose data did not change when the
 * page re-renders (a flash message, a dialog opening).
 */
const WebhookTableRow = memo(function WebhookTableRow(props: {
  w: WebhookRow;
  groups: string;
  canChange: boolean;
  application: string | null;
  pending: boolean;
  actions: RowActions;
}) {
  const { w, canChange: isAdmin, application, actions } = props;
  // Koibox: only the managing application changes its webhooks (its own keys may).
  const locked = w.isApplicationManaged && w.managingApplication !== application;
  const lockReason = `Managed by the application ${w.managingApplication ?? ''}: change it through that application's API`;
  // Events are handled once, on the table body (onRowEvent): no listener per row.
  return (
    <tr class="row" data-id={w.id}>
      <td>
        <a href={`/webhooks/${encodeURIComponent(w.id)}`}>{w.name}</a>
        {w.isApplicationManaged && (
          <span class="lock" title={lockReason}>
            <LockIcon /> {w.managingApplication}
            <span class="sr-only"> (application-managed)</span>
          </span>
        )}
      </td>
      <td class="url mono">
        {w.targetUrl}
        <button
          type="button"
          class="icon ic i-copy"
          data-action="copy"
          aria-label={`Copy ID of ${w.name}`}
          title={`Copy ID of ${w.name}`}
        />
      </td>
      <td>{w.owner.name}</td>
      <td>{props.groups}</td>
      <td>{when(w.registered)}</td>
      <td class="status">
        {isAdmin && !locked ? (
          <input
            type="checkbox"
            class="switch"
            role="switch"
            data-action="active"
            checked={w.isActive}
            disabled={props.pending}
            aria-label={`Active: ${w.name}`}
          />
        ) : (
          <span>{w.isActive ? 'Active' : 'Inactive'}</span>
        )}
        <StateDot name={w.name} state={w.state} reason={w.stateReason} changedAt={w.stateChangedAt} />
      </td>
      <td class="row-actions">
        {isAdmin && (
          <>
            <button
              type="button"
              class="icon ic i-edit"
              data-action="edit"
              aria-label={`Edit ${w.name}`}
              disabled={locked}
              title={locked ? lockReason : 'Edit'}
            />
            <button
              type="button"
              class="icon ic i-trash"
              data-action="remove"
              aria-label={`Delete ${w.name}`}
              disabled={locked}
              title={locked ? lockReason : 'Delete'}
            />
          </>
        )}
      </td>
    </tr>
  );
});

/**
 * The rows' clicks and changes, delegated to the table body: one listener
 * for the page instead of five per row (addEventListener and the closures
 * were a tenth of rendering 100 rows).
 */
function onRowEvent(e: Event, items: readonly WebhookRow[] | undefined, actions: RowActions) {
  const target = e.target as HTMLElement;
  const link = e.type === 'click' ? target.closest('a[href]') : null;
  if (link) return followLink(e as MouseEvent, link);
  const control = target.closest<HTMLElement>('[data-action]');
  const id = target.closest<HTMLElement>('tr[data-id]')?.dataset.id;
  const w = id ? items?.find((x) => x.id === id) : undefined;
  if (!control || !w) return;
  const action = control.dataset.action;
  if (action === 'active' && e.type === 'change') actions.setActive(w, (control as HTMLInputElement).checked);
  else if (e.type !== 'click') return;
  else if (action === 'edit') actions.edit(w);
  else if (action === 'remove') actions.remove(w);
  else if (action === 'copy') {
    void copyText(w.id).then((ok) => {
      if (!ok) return;
      // Shown by CSS ([data-copied]) for 1.5 s: no state, no re-render.
      control.dataset.copied = '';
      control.title = 'Copied';
      setTimeout(() => {
        delete control.dataset.copied;
        control.title = control.getAttribute('aria-label') ?? '';
      }, 1500);
    });
  }
}

function DeleteByUrlDialog(props: { onClose: () => void; onDelete: (url: string) => Promise<string | null> }) {
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title="Delete webhooks by URL" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void props.onDelete(url).then(setError);
        }}
      >
        <label for="del-url">Target URL (exact)</label>
        <input id="del-url" type="url" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} required />
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="danger">
            Delete
          </button>
        </div>
      </form>
    </Dialog>
  );
}
