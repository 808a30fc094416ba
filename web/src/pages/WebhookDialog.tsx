// "Create webhook" and "Modify webhook": URL, name, events as checkboxes
// grouped by their catalog group, custom headers and properties as key/value
// rows, owner. userErrors appear next to the field they name.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { Dialog } from '../ui/Dialog';
import { Field } from '../ui/common';
import { errorsByField } from '../ui/format';
import { ASSOCIATES, CATALOG, CREATE_WEBHOOK, UPDATE_WEBHOOK, WEBHOOK_DETAIL } from '../operations';
import { useApp } from '../app-context';

type Row = { key: string; value: string };
const rowsOf = (o: Record<string, unknown> | undefined): Row[] =>
  Object.entries(o ?? {}).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }));

export function WebhookDialog(props: { webhookId?: string; onClose: () => void; onCreated: (secret: string, name: string) => void }) {
  const editing = !!props.webhookId;
  const [{ data: existing }] = useQuery({ query: WEBHOOK_DETAIL, variables: { id: props.webhookId ?? '' }, pause: !editing });
  if (editing && !existing?.webhook) return null;
  const w = existing?.webhook ?? null;
  return <WebhookForm key={w?.id ?? 'new'} webhook={w} {...props} />;
}

interface Initial {
  id: string;
  name: string;
  targetUrl: string;
  events: string[];
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  owner: { id: string };
}

function WebhookForm(props: { webhook: Initial | null; onClose: () => void; onCreated: (secret: string, name: string) => void }) {
  const { viewer, flash } = useApp();
  const w = props.webhook;
  const [{ data: catalog }] = useQuery({ query: CATALOG });
  const [{ data: people }] = useQuery({ query: ASSOCIATES });
  const [, create] = useMutation(CREATE_WEBHOOK);
  const [, update] = useMutation(UPDATE_WEBHOOK);
  const [name, setName] = useState(w?.name ?? '');
  const [url, setUrl] = useState(w?.targetUrl ?? '');
  const [events, setEvents] = useState<Set<string>>(new Set(w?.events ?? []));
  const [headers, setHeaders] = useState<Row[]>(rowsOf(w?.headers));
  const [properties, setProperties] = useState<Row[]>(rowsOf(w?.properties));
  const [owner, setOwner] = useState(w?.owner.id ?? viewer.id);
  const [active, setActive] = useState(true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const groups = new Map<string, { name: string; description: string }[]>();
  for (const t of catalog?.eventTypes ?? []) {
    if (!groups.has(t.group)) groups.set(t.group, []);
    groups.get(t.group)!.push(t);
  }
  const all = events.has('*');
  const toggle = (name: string, on: boolean) => {
    const next = new Set(events);
    if (on) next.add(name);
    else next.delete(name);
    setEvents(next);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const toObject = (rows: Row[]) => Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));
    const common = {
      name,
      targetUrl: url,
      events: [...events],
      headers: toObject(headers),
      properties: toObject(properties),
      ownerId: owner,
    };
    if (w) {
      const res = await update({ id: w.id, input: common });
      setBusy(false);
      const p = res.data?.updateWebhook;
      if (res.error) return setErrors({ '': res.error.message });
      if (p?.userErrors.length) return setErrors(errorsByField(p.userErrors));
      flash('success', `Webhook "${p?.webhook?.name ?? name}" was modified.`);
      props.onClose();
    } else {
      const res = await create({ input: { ...common, isActive: active } });
      setBusy(false);
      const p = res.data?.createWebhook;
      if (res.error) return setErrors({ '': res.error.message });
      if (p?.userErrors.length) return setErrors(errorsByField(p.userErrors));
      flash('success', `Webhook "${p?.webhook?.name ?? name}" was created.`);
      props.onCreated(p?.secret ?? '', p?.webhook?.name ?? name);
    }
  };

  const invalid = (field: string) => (errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': `wh-${field}-error` } : {});
  return (
    <Dialog title={w ? 'Modify webhook' : 'Create webhook'} onClose={props.onClose} wide>
      <form onSubmit={(e) => void submit(e)} noValidate>
        {errors[''] && (
          <p role="alert" class="error">
            {errors['']}
          </p>
        )}
        <Field id="wh-targetUrl" label="Webhook URL" error={errors.targetUrl}>
          <input
            id="wh-targetUrl"
            type="url"
            value={url}
            onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
            {...invalid('targetUrl')}
          />
        </Field>
        <Field id="wh-name" label="Name" error={errors.name}>
          <input id="wh-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} {...invalid('name')} />
        </Field>
        <fieldset class="events" aria-describedby={errors.events ? 'wh-events-error' : undefined}>
          <legend>Events to send</legend>
          <label class="check">
            <input type="checkbox" checked={all} onChange={(e) => toggle('*', (e.target as HTMLInputElement).checked)} /> All events (*)
          </label>
          {[...groups].map(([group, types]) => (
            <fieldset key={group} class="group" disabled={all}>
              <legend>{group}</legend>
              {types.map((t) => (
                <label class="check" key={t.name} title={t.description}>
                  <input
                    type="checkbox"
                    checked={events.has(t.name)}
                    onChange={(e) => toggle(t.name, (e.target as HTMLInputElement).checked)}
                  />{' '}
                  {t.name}
                </label>
              ))}
            </fieldset>
          ))}
          {errors.events && (
            <small class="error" id="wh-events-error" role="alert">
              {errors.events}
            </small>
          )}
        </fieldset>
        <KeyValueRows legend="Custom headers" idPrefix="hdr" rows={headers} onChange={setHeaders} error={errors.headers} />
        <KeyValueRows legend="Properties" idPrefix="prop" rows={properties} onChange={setProperties} error={errors.properties} />
        <Field id="wh-ownerId" label="Owner" error={errors.ownerId}>
          <select id="wh-ownerId" value={owner} onChange={(e) => setOwner((e.target as HTMLSelectElement).value)} {...invalid('ownerId')}>
            {(people?.associates ?? [{ id: viewer.id, name: viewer.name }]).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </Field>
        {!w && (
          <label class="check">
            <input type="checkbox" checked={active} onChange={(e) => setActive((e.target as HTMLInputElement).checked)} /> Active on
            creation
          </label>
        )}
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {w ? 'Modify' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function KeyValueRows(props: { legend: string; idPrefix: string; rows: Row[]; onChange: (rows: Row[]) => void; error?: string }) {
  const set = (i: number, patch: Partial<Row>) => props.onChange(props.rows.map((r, j) => (i === j ? { ...r, ...patch } : r)));
  return (
    <fieldset class="kv">
      <legend>{props.legend}</legend>
      {props.rows.map((r, i) => (
        <div class="kv-row" key={i}>
          <input
            aria-label={`${props.legend} ${i + 1} name`}
            placeholder="name"
            value={r.key}
            onInput={(e) => set(i, { key: (e.target as HTMLInputElement).value })}
          />
          <input
            aria-label={`${props.legend} ${i + 1} value`}
            placeholder="value"
            value={r.value}
            onInput={(e) => set(i, { value: (e.target as HTMLInputElement).value })}
          />
          <button
            type="button"
            class="icon"
            aria-label={`Remove ${props.legend.toLowerCase()} row ${i + 1}`}
            onClick={() => props.onChange(props.rows.filter((_, j) => j !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      <button type="button" onClick={() => props.onChange([...props.rows, { key: '', value: '' }])}>
        Add {props.legend.toLowerCase()} row
      </button>
      {props.error && (
        <small class="error" role="alert">
          {props.error}
        </small>
      )}
    </fieldset>
  );
}
