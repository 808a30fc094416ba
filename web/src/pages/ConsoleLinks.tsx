// Console links (the portal pattern): an admin makes a link that signs a
// person into this console with a role, without handing over an API key.
// The URL is shown once; links can be revoked.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { useApp } from '../app-context';
import { CONSOLE_LINKS, CREATE_CONSOLE_LINK, REVOKE_CONSOLE_LINK } from '../operations';
import { Field, SecretDialog } from '../ui/common';
import { FormDialog } from '../ui/Dialog';
import { mutationErrors, when } from '../ui/format';

const EXPIRIES = [
  [3600, '1 hour'],
  [86400, '1 day'],
  [604800, '7 days'],
] as const;

// Refetch after a create even when the list was empty (urql only knows typenames it has seen).
const LIST_CONTEXT = { additionalTypenames: ['ConsoleLink'] };

export function ConsoleLinksSection() {
  const { flash } = useApp();
  const [{ data, error }] = useQuery({ query: CONSOLE_LINKS, context: LIST_CONTEXT });
  const [, revoke] = useMutation(REVOKE_CONSOLE_LINK);
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'url'; url: string } | null>(null);
  return (
    <section aria-labelledby="links-title">
      <div class="page-head">
        <h2 id="links-title">Console links</h2>
        <button type="button" onClick={() => setDialog({ kind: 'create' })}>
          Create console link
        </button>
      </div>
      {error && <p role="alert">{error.message}</p>}
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Made by</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data?.consoleLinks.map((l) => {
            const expired = new Date(l.expiresAt).getTime() <= Date.now();
            return (
              <tr key={l.id}>
                <td>{l.role}</td>
                <td>{l.createdBy.name}</td>
                <td>{when(l.createdAt)}</td>
                <td>{when(l.expiresAt)}</td>
                <td>{l.revokedAt ? `Revoked ${when(l.revokedAt)}` : expired ? 'Expired' : 'Active'}</td>
                <td>
                  {!l.revokedAt && !expired && (
                    <button
                      type="button"
                      aria-label={`Revoke ${l.role} link made ${when(l.createdAt)}`}
                      onClick={() =>
                        void revoke({ id: l.id }).then((res) => {
                          const err = res.error?.message ?? res.data?.revokeConsoleLink.userErrors[0]?.message;
                          flash(err ? 'error' : 'success', err ?? 'The console link was revoked; it stops working at once.');
                        })
                      }
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
          {data && data.consoleLinks.length === 0 && (
            <tr>
              <td colSpan={6}>No console links.</td>
            </tr>
          )}
        </tbody>
      </table>
      {dialog?.kind === 'create' && (
        <CreateLinkDialog onClose={() => setDialog(null)} onCreated={(url) => setDialog({ kind: 'url', url })} />
      )}
      {dialog?.kind === 'url' && (
        <SecretDialog title="New console link" label="Console link" secret={dialog.url} onClose={() => setDialog(null)} />
      )}
    </section>
  );
}

function CreateLinkDialog(props: { onClose: () => void; onCreated: (url: string) => void }) {
  const [, create] = useMutation(CREATE_CONSOLE_LINK);
  const [role, setRole] = useState<'ADMIN' | 'MEMBER'>('MEMBER');
  const [expiresIn, setExpiresIn] = useState(3600);
  const [errors, setErrors] = useState<Record<string, string>>({});
  return (
    <FormDialog
      title="Create console link"
      submitLabel="Create"
      errors={errors}
      onClose={props.onClose}
      onSubmit={() => {
        void create({ input: { role, expiresIn } }, { additionalTypenames: ['ConsoleLink'] }).then((res) => {
          const p = res.data?.createConsoleLink;
          const errs = mutationErrors(res, p);
          if (errs) return setErrors(errs);
          props.onCreated(p?.url ?? '');
        });
      }}
    >
      <Field id="link-role" label="Role" error={errors.role}>
        <select id="link-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as 'ADMIN' | 'MEMBER')}>
          <option value="MEMBER">MEMBER (read-only)</option>
          <option value="ADMIN">ADMIN</option>
        </select>
      </Field>
      <Field id="link-expiresIn" label="Expires after" error={errors.expiresIn}>
        <select id="link-expiresIn" value={expiresIn} onChange={(e) => setExpiresIn(Number((e.target as HTMLSelectElement).value))}>
          {EXPIRIES.map(([s, label]) => (
            <option key={s} value={s}>
              {label}
            </option>
          ))}
        </select>
      </Field>
    </FormDialog>
  );
}
