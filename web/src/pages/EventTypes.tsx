// The event catalog by group; admins add custom event types.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { useApp } from '../app-context';
import { CATALOG, CREATE_EVENT_TYPE } from '../operations';
import { Field } from '../ui/common';
import { FormDialog } from '../ui/Dialog';
import { mutationErrors } from '../ui/format';

// Refetch after a create even when the list was empty (urql only knows typenames it has seen).
const LIST_CONTEXT = { additionalTypenames: ['EventType'] };

export function EventTypesPage() {
  const { isAdmin } = useApp();
  const [{ data, error }] = useQuery({ query: CATALOG, context: LIST_CONTEXT });
  const [creating, setCreating] = useState(false);
  const groups = new Map<string, NonNullable<typeof data>['eventTypes'][number][]>();
  for (const t of data?.eventTypes ?? []) {
    if (!groups.has(t.group)) groups.set(t.group, []);
    groups.get(t.group)!.push(t);
  }
  return (
    <section aria-labelledby="types-title">
      <div class="page-head">
        <h1 id="types-title">Event types</h1>
        {isAdmin && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create event type
          </button>
        )}
      </div>
      {error && <p role="alert">{error.message}</p>}
      {[...groups].map(([group, types]) => (
        <section key={group} class="group-block" aria-label={group}>
          <h2>{group}</h2>
          <table class="grid">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Kind</th>
              </tr>
            </thead>
            <tbody>
              {types.map((t) => (
                <tr key={t.id}>
                  <td class="mono">{t.name}</td>
                  <td>{t.description}</td>
                  <td>{t.builtIn ? 'Built-in' : 'Custom'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      {creating && <CreateTypeDialog onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateTypeDialog(props: { onClose: () => void }) {
  const { flash } = useApp();
  const [, create] = useMutation(CREATE_EVENT_TYPE);
  const [name, setName] = useState('');
  const [group, setGroup] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  return (
    <FormDialog
      title="Create event type"
      submitLabel="Create"
      errors={errors}
      onClose={props.onClose}
      onSubmit={() => {
        void create({ input: { name, group, description: description || null } }, { additionalTypenames: ['EventType'] }).then((res) => {
          const p = res.data?.createEventType;
          const errs = mutationErrors(res, p);
          if (errs) return setErrors(errs);
          flash('success', `Event type ${name} was created in ${group}.`);
          props.onClose();
        });
      }}
    >
      <Field id="type-name" label="Name" error={errors.name} hint="Such as invoice.paid">
        <input id="type-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="type-group" label="Group" error={errors.group}>
        <input id="type-group" value={group} onInput={(e) => setGroup((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="type-description" label="Description" error={errors.description}>
        <input id="type-description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
      </Field>
    </FormDialog>
  );
}
