// What every page needs: the session's clients, who is signed in, and the
// success/error message shown at the top of the page.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './client';

export interface Viewer {
  id: string;
  name: string;
  email: string;
  role: 'ADMIN' | 'MEMBER';
}

export interface Flash {
  kind: 'success' | 'error';
  text: string;
}

export interface AppContextValue {
  session: Session;
  viewer: Viewer;
  /** The credential's role decides: a MEMBER console link made by an admin is read-only. */
  isAdmin: boolean;
  /** The API key's application: it alone may change the webhooks that application manages. */
  application: string | null;
  viaLink: boolean;
  flash(kind: Flash['kind'], text: string): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside the signed-in console');
  return v;
}
