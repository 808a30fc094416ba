// People: the account's associates and their roles; admins add people.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { useApp } from '../app-context';
import { ASSOCIATES, CREATE_ASSOCIATE } from '../operations';
import { Field } from '../ui/common';
import { FormDialog } from '../ui/Dialog';
import { mutationErrors, when } from '../ui/format';

// Refetch after a create even when the list was empty (urql only knows typenames it has seen).
const LIST_CONTEXT = { additionalTypenames: ['Associate'] };

export function PeoplePage() {
  const { isAdmin } = useApp();
  const [{ data, error }] = useQuery({ query: ASSOCIATES, context: LIST_CONTEXT });
  const [creating, setCreating] = useState(false);
  return (
    <section aria-labelledby="people-title">
      <div class="page-head">
        <h1 id="people-title">People</h1>
        {isAdmin && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Add person
          </button>
        )}
      </div>
      {error && <p role="alert">{error.message}</p>}
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Added</th>
          </tr>
        </thead>
        <tbody>
          {data?.associates.map((a) => (
            <tr key={a.id}>
              <td>{a.name}</td>
              <td>{a.email}</td>
              <td>{a.role}</td>
              <td>{when(a.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {creating && <CreatePersonDialog onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreatePersonDialog(props: { onClose: () => void }) {
  const { flash } = useApp();
  const [, create] = useMutation(CREATE_ASSOCIATE);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'ADMIN' | 'MEMBER'>('MEMBER');
  const [errors, setErrors] = useState<Record<string, string>>({});
  return (
    <FormDialog
      title="Add person"
      submitLabel="Add"
      errors={errors}
      onClose={props.onClose}
      onSubmit={() => {
        void create({ input: { name, email, role } }, { additionalTypenames: ['Associate'] }).then((res) => {
          const p = res.data?.createAssociate;
          const errs = mutationErrors(res, p);
          if (errs) return setErrors(errs);
          flash('success', `${name} was added as ${role}.`);
          props.onClose();
        });
      }}
    >
      <Field id="person-name" label="Name" error={errors.name}>
        <input id="person-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="person-email" label="Email" error={errors.email}>
        <input id="person-email" type="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="person-role" label="Role" error={errors.role}>
        <select id="person-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as 'ADMIN' | 'MEMBER')}>
          <option value="MEMBER">MEMBER (read-only)</option>
          <option value="ADMIN">ADMIN</option>
        </select>
      </Field>
    </FormDialog>
  );
}
