// A modal dialog on the native <dialog> element: showModal() makes the rest
// of the page inert (focus stays inside), Escape closes it (the cancel
// event), and focus returns to the control that opened it.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`dlg-${Math.random().toString(36).slice(2)}`).current;
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const dlg = ref.current!;
    dlg.showModal();
    const first = dlg.querySelector<HTMLElement>('[data-autofocus], input:not([type=hidden]), select, textarea, button');
    first?.focus();
    return () => {
      if (dlg.open) dlg.close();
      if (opener && document.contains(opener)) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? 'wide' : undefined}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <div class="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="icon" aria-label="Close dialog" onClick={props.onClose}>
          ✕
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

/**
 * A dialog holding one form: the error that names no field above the fields,
 * Cancel and the submit button below them. The server validates (noValidate).
 */
export function FormDialog(props: {
  title: string;
  onClose: () => void;
  onSubmit: () => void;
  errors: Record<string, string>;
  submitLabel: string;
  children: ComponentChildren;
}) {
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit();
        }}
      >
        {props.errors[''] && <p role="alert">{props.errors['']}</p>}
        {props.children}
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            {props.submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
