// A small path router on the History API: the console's views are real URLs
// (a reload or a shared link shows the same page, sort, filter and page).
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

export interface Route {
  path: string;
  query: URLSearchParams;
}

export function useRoute(): Route {
  const read = () => ({ path: location.pathname, query: new URLSearchParams(location.search) });
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return route;
}

/** Builds path?query from a record, leaving out empty values. */
export function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** An in-app link: plain <a href> (so it opens in a new tab too), routed without a reload. */
export function onLinkClick(e: MouseEvent): void {
  followLink(e, e.currentTarget as Element | null);
}

/** The same for a link found by a handler on an ancestor (event delegation). */
export function followLink(e: MouseEvent, a: Element | null): void {
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
