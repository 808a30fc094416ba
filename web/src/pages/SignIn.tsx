// Sign-in: paste an API key, or arrive through a console link (#link=…).
import { useEffect, useState } from 'preact/hooks';
import { checkCredential } from '../client';
import { saveCredential } from '../session';

export function SignIn(props: {
  linkToken: string | null;
  onLinkUsed: () => void;
  notice: string | null;
  onSignedIn: (credential: string) => void;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const tryCredential = async (credential: string) => {
    setBusy(true);
    setError(null);
    const result = await checkCredential(credential);
    setBusy(false);
    if (result.ok) {
      saveCredential(credential);
      props.onSignedIn(credential);
    } else setError(result.message);
  };

  useEffect(() => {
    if (props.linkToken) {
      const token = props.linkToken;
      props.onLinkUsed();
      void tryCredential(token);
    }
  }, []);

  return (
    <main class="center signin">
      <h1>Hookline console</h1>
      {props.notice && !error && <p role="status">{props.notice}</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) void tryCredential(key.trim());
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="hint">
        The key stays in this tab only (sessionStorage) and is forgotten when you sign out or close the tab. An operator can also give you a
        console link instead of a key.
      </p>
    </main>
  );
}
