// Display helpers. Everything here returns strings: the console renders
// receiver- and user-controlled values as text nodes only (no innerHTML).
// Dates as "23 Nov 2026, 21:44:32" in the browser's time zone, month names
// in its language. Built by hand from numbers: Intl.DateTimeFormat.format
// costs about 20 µs a call, a sixth of rendering a 100-row table, and
// toLocaleString with options builds a new formatter per call (0.3 ms).
const MONTHS = Array.from({ length: 12 }, (_, m) =>
  new Intl.DateTimeFormat(undefined, { month: 'short', timeZone: 'UTC' }).format(Date.UTC(2000, m, 15)),
);
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** JSON bodies pretty-printed; anything else as it came. */
export function prettyBody(body: string | null | undefined): string {
  if (body === null || body === undefined || body === '') return '(empty)';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function headerLines(headers: Record<string, unknown> | null | undefined): string {
  if (!headers) return '(none)';
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  return lines.length ? lines.join('\n') : '(none)';
}

/** userErrors keyed by the input field they name (the path's last element), '' for the rest. */
export function errorsByField(errors: readonly { field?: readonly string[] | null; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    const key = e.field?.length ? e.field[e.field.length - 1] : '';
    out[key] = out[key] ? `${out[key]} ${e.message}` : e.message;
  }
  return out;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Without clipboard permission: copy through a selected, off-screen field.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.left = '-9999px';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

/**
 * What a create mutation's answer says to show in its form: the request's
 * own error (under '', shown above the fields) or the userErrors by field;
 * null when it succeeded.
 */
export function mutationErrors(
  res: { error?: { message: string } | null },
  payload: { userErrors: readonly { field?: readonly string[] | null; message: string }[] } | null | undefined,
): Record<string, string> | null {
  if (res.error) return { '': res.error.message };
  if (payload?.userErrors.length) return errorsByField(payload.userErrors);
  return null;
}
