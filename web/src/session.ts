// Where the console keeps its credential: sessionStorage only (gone when the
// tab closes; never localStorage, never a URL, never a log line). A console
// link arrives as #link=<token>: it is read once and removed from the address
// bar before anything else runs, so it is not left in history or shared by
// copying the address.
const KEY = 'hookline.credential';

export function readCredential(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveCredential(value: string): void {
  sessionStorage.setItem(KEY, value);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(KEY);
}

/** Takes a console-link token from the address bar's fragment, removing it from the URL and history entry. */
export function takeLinkToken(loc: Location = location, hist: History = history): string | null {
  const match = /^#link=([^&]+)/.exec(loc.hash);
  if (!match) return null;
  hist.replaceState(hist.state, '', loc.pathname + loc.search);
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
