// API keys: list, create (the key shown once, with copy), revoke.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { useApp } from '../app-context';
import { API_KEYS, ASSOCIATES, CREATE_API_KEY, REVOKE_API_KEY } from '../operations';
import { ConfirmDialog, Field, SecretDialog } from '../ui/common';
import { FormDialog } from '../ui/Dialog';
import { mutationErrors, when } from '../ui/format';
import { ConsoleLinksSection } from './ConsoleLinks';

// Refetch after a create even when the list was empty (urql only knows typenames it has seen).
const LIST_CONTEXT = { additionalTypenames: ['ApiKey'] };

export function ApiKeysPage() {
  const { isAdmin, flash, viaLink } = useApp();
  const [{ data, error }] = useQuery({ query: API_KEYS, context: LIST_CONTEXT });
  const [, revoke] = useMutation(REVOKE_API_KEY);
  const [dialog, setDialog] = useState<
    { kind: 'create' } | { kind: 'key'; key: string } | { kind: 'revoke'; id: string; name: string } | null
  >(null);
  return (
    <section aria-labelledby="keys-title">
      <div class="page-head">
        <h1 id="keys-title">API keys</h1>
        {isAdmin && (
          <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })}>
            Create API key
          </button>
        )}
      </div>
      {error && <p role="alert">{error.message}</p>}
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Acts for</th>
            <th scope="col">Application</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data?.apiKeys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td class="mono">
                {k.prefix}…{k.lastFour}
              </td>
              <td>
                {k.associate.name} ({k.associate.role})
              </td>
              <td>{k.application ?? '—'}</td>
              <td>{when(k.createdAt)}</td>
              <td>{k.revoked ? `Revoked ${when(k.revokedAt)}` : 'Active'}</td>
              <td>
                {isAdmin && !k.revoked && (
                  <button
                    type="button"
                    aria-label={`Revoke ${k.name}`}
                    onClick={() => setDialog({ kind: 'revoke', id: k.id, name: k.name })}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {/* A console-link session cannot mint further links. */}
      {isAdmin && !viaLink && <ConsoleLinksSection />}
      {dialog?.kind === 'create' && (
        <CreateKeyDialog onClose={() => setDialog(null)} onCreated={(key) => setDialog({ kind: 'key', key })} />
      )}
      {dialog?.kind === 'key' && <SecretDialog title="New API key" label="API key" secret={dialog.key} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'revoke' && (
        <ConfirmDialog
          title="Revoke API key"
          confirm="Revoke"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const res = await revoke({ id: dialog.id });
            const err = res.error?.message ?? res.data?.revokeApiKey.userErrors[0]?.message;
            if (err) return err;
            flash('success', `Key "${dialog.name}" was revoked; it stops working at once.`);
            setDialog(null);
            return null;
          }}
        >
          <p>
            Revoke <strong>{dialog.name}</strong>? Every client using it is refused from now on.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function CreateKeyDialog(props: { onClose: () => void; onCreated: (key: string) => void }) {
  const { viewer, flash } = useApp();
  const [{ data: people }] = useQuery({ query: ASSOCIATES });
  const [, create] = useMutation(CREATE_API_KEY);
  const [name, setName] = useState('');
  const [application, setApplication] = useState('');
  const [associateId, setAssociateId] = useState(viewer.id);
  const [errors, setErrors] = useState<Record<string, string>>({});
  return (
    <FormDialog
      title="Create API key"
      submitLabel="Create"
      errors={errors}
      onClose={props.onClose}
      onSubmit={() => {
        void create({ input: { name, application: application || null, associateId } }, { additionalTypenames: ['ApiKey'] }).then((res) => {
          const p = res.data?.createApiKey;
          const errs = mutationErrors(res, p);
          if (errs) return setErrors(errs);
          flash('success', `Key "${name}" was created.`);
          props.onCreated(p?.key ?? '');
        });
      }}
    >
      <Field id="key-name" label="Name" error={errors.name}>
        <input id="key-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="key-application" label="Application (optional)" error={errors.application}>
        <input id="key-application" value={application} onInput={(e) => setApplication((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="key-associateId" label="Acts for" error={errors.associateId}>
        <select id="key-associateId" value={associateId} onChange={(e) => setAssociateId((e.target as HTMLSelectElement).value)}>
          {(people?.associates ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.role})
            </option>
          ))}
        </select>
      </Field>
    </FormDialog>
  );
}
