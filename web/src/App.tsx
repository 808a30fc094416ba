// The console shell: sign-in gate, navigation, the message bar and the pages.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Provider, useQuery } from '@urql/preact';
import { AppContext, type Flash, type Viewer } from './app-context';
import { createSession, type Session } from './client';
import { forgetCredential, readCredential, takeLinkToken } from './session';
import { onLinkClick, useRoute } from './router';
import { VIEWER } from './operations';
import { SignIn } from './pages/SignIn';
import { WebhooksPage } from './pages/Webhooks';
import { WebhookDetailPage } from './pages/WebhookDetail';
import { AccountLogPage } from './pages/AccountLog';
import { ApiKeysPage } from './pages/ApiKeys';
import { PeoplePage } from './pages/People';
import { EventTypesPage } from './pages/EventTypes';

// Read the console link before anything renders: the fragment leaves the
// address bar at once.
const linkToken = takeLinkToken();
// A console link starts a new session: any earlier credential in this tab is dropped.
if (linkToken) forgetCredential();

export function App() {
  // The link is tried once: after sign-out the sign-in page must not use it again.
  const [link, setLink] = useState(linkToken);
  const [credential, setCredential] = useState<string | null>(() => (linkToken ? null : readCredential()));
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = (message: string | null) => {
    forgetCredential();
    setCredential(null);
    setNotice(message);
  };
  if (!credential) {
    return (
      <SignIn linkToken={link} onLinkUsed={() => setLink(null)} notice={notice} onSignedIn={(c) => (setNotice(null), setCredential(c))} />
    );
  }
  return <SignedIn key={credential} credential={credential} signOut={signOut} />;
}

function SignedIn(props: { credential: string; signOut: (message: string | null) => void }) {
  const session = useMemo<Session>(
    () =>
      createSession(props.credential, () =>
        props.signOut('Your key or console link is no longer valid (revoked or expired). Sign in again.'),
      ),
    [props.credential],
  );
  useEffect(() => () => session.dispose(), [session]);
  return (
    <Provider value={session.urql}>
      <Shell session={session} signOut={props.signOut} />
    </Provider>
  );
}

const NAV = [
  ['/webhooks', 'Webhooks'],
  ['/log', 'Delivery log'],
  ['/keys', 'API keys'],
  ['/people', 'People'],
  ['/event-types', 'Event types'],
] as const;

function Shell(props: { session: Session; signOut: (message: string | null) => void }) {
  const [{ data, error }] = useQuery({ query: VIEWER, requestPolicy: 'network-only' });
  const [flash, setFlash] = useState<Flash | null>(null);
  const route = useRoute();
  useEffect(() => setFlash(null), [route.path]);
  const ctx = useMemo(
    () =>
      data?.viewer
        ? {
            session: props.session,
            viewer: data.viewer as Viewer,
            isAdmin: data.credential.role === 'ADMIN',
            application: data.credential.application,
            viaLink: data.credential.kind === 'CONSOLE_LINK',
            flash: (kind: Flash['kind'], text: string) => setFlash({ kind, text }),
          }
        : null,
    [data, props.session],
  );
  if (error && !data) {
    return (
      <main class="center">
        <p role="alert">{error.message}</p>
        <button type="button" onClick={() => props.signOut(null)}>
          Back to sign-in
        </button>
      </main>
    );
  }
  if (!ctx)
    return (
      <main class="center" aria-busy="true">
        Loading…
      </main>
    );
  const path = route.path === '/' ? '/webhooks' : route.path;
  return (
    <AppContext.Provider value={ctx}>
      <header class="top">
        <span class="brand">Hookline</span>
        <nav aria-label="Console">
          {NAV.map(([href, label]) => (
            <a key={href} href={href} onClick={onLinkClick} aria-current={path.startsWith(href) ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {ctx.viewer.name} <span class="badge">{ctx.isAdmin ? 'ADMIN' : 'MEMBER'}</span>
          {ctx.viaLink && <span class="badge">console link</span>}
        </span>
        <button type="button" onClick={() => props.signOut('You signed out.')}>
          Sign out
        </button>
      </header>
      <div class="flash-slot" role="status" aria-live="polite">
        {flash && (
          <div class={`flash ${flash.kind}`}>
            <span>{flash.text}</span>
            <button type="button" class="icon" aria-label="Dismiss message" onClick={() => setFlash(null)}>
              ✕
            </button>
          </div>
        )}
      </div>
      <main>{page(path, route.query)}</main>
    </AppContext.Provider>
  );
}

function page(path: string, query: URLSearchParams) {
  const detail = /^\/webhooks\/([^/]+)$/.exec(path);
  if (detail) return <WebhookDetailPage id={decodeURIComponent(detail[1])} />;
  if (path === '/webhooks') return <WebhooksPage query={query} />;
  if (path === '/log') return <AccountLogPage />;
  if (path === '/keys') return <ApiKeysPage />;
  if (path === '/people') return <PeoplePage />;
  if (path === '/event-types') return <EventTypesPage />;
  return <p>No such page.</p>;
}
