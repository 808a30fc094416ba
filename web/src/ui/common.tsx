// Small shared pieces: the secret-once dialog, a confirmation dialog, copy
// buttons, the state dot.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { copyText, when } from './format';
import { CheckIcon, CopyIcon } from './icons';

/** A secret or key shown once (OnceHub's "Copy & close"): never shown again after this dialog closes. */
export function SecretDialog(props: { title: string; label: string; secret: string; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p>This is the only time it is shown. Store it now.</p>
      <label for="secret-value">{props.label}</label>
      <input id="secret-value" class="mono" readOnly value={props.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
      <div class="actions">
        <button type="button" onClick={() => void copyText(props.secret).then(setCopied)}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button
          type="button"
          class="primary"
          data-autofocus
          onClick={() =>
            void copyText(props.secret).then(() => {
              props.onClose();
            })
          }
        >
          Copy &amp; close
        </button>
      </div>
    </Dialog>
  );
}

export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirm: string;
  onConfirm: () => Promise<string | null>;
  onClose: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      {props.children}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" data-autofocus onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void props.onConfirm().then((err) => {
              setBusy(false);
              if (err) setError(err);
            });
          }}
        >
          {props.confirm}
        </button>
      </div>
    </Dialog>
  );
}

export function CopyButton(props: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="icon copy"
      aria-label={props.label}
      title={copied ? 'Copied' : props.label}
      onClick={() =>
        void copyText(props.text).then((ok) => {
          setCopied(ok);
          setTimeout(() => setCopied(false), 1500);
        })
      }
    >
      {copied ? <CheckIcon /> : <CopyIcon />}
    </button>
  );
}

/** The 003 red dot: a webhook that is not ACTIVE; opens why and when. */
export function StateDot(props: { name: string; state: string; reason: string | null; changedAt: string }) {
  const [open, setOpen] = useState(false);
  if (props.state === 'ACTIVE') return null;
  return (
    <>
      <button
        type="button"
        class="dot"
        aria-label={`Why is ${props.name} ${props.state.toLowerCase().replace(/_/g, ' ')}?`}
        onClick={() => setOpen(true)}
      />
      {open && (
        <Dialog title="Status reason" onClose={() => setOpen(false)}>
          <dl class="fields">
            <dt>State</dt>
            <dd>{props.state}</dd>
            <dt>Reason</dt>
            <dd class="reason">{props.reason ?? '(no reason recorded)'}</dd>
            <dt>Changed</dt>
            <dd>{when(props.changedAt)}</dd>
          </dl>
          <div class="actions">
            <button type="button" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}

export function Field(props: { id: string; label: string; error?: string; children: ComponentChildren; hint?: string }) {
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <small id={`${props.id}-hint`}>{props.hint}</small>}
      {props.error && (
        <small class="error" id={`${props.id}-error`} role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}
