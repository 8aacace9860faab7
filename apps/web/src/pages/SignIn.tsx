import { useEffect, useState, type FormEvent } from 'react';
import { get } from '../api';
import { useSession } from '../session';
import { ErrorBox, messageOf } from '../components/ui';

export function SignIn() {
  const { signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sso, setSso] = useState<{ label: string; startUrl: string } | null>(null);

  useEffect(() => {
    get<{ sso: { label: string; startUrl: string } | null }>('/api/auth/config')
      .then((c) => setSso(c.sso))
      .catch(() => setSso(null));
    // An SSO round trip that failed comes back with a reason in the query string.
    const reason = new URLSearchParams(window.location.search).get('signin_error');
    if (reason) setError(reason);
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <div className="brand" style={{ textAlign: 'center' }}>
        Back<span>lot</span>
      </div>
      <form className="card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">The studio's own video model. For studio staff only.</p>
        <ErrorBox error={error} />
        <div className="field">
          <label htmlFor="username">User name</label>
          <input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </div>
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          {sso && (
            <a className="button" href={sso.startUrl} style={{ background: 'var(--panel-2)', color: 'var(--text)' }}>
              Sign in with {sso.label}
            </a>
          )}
        </div>
      </form>
    </main>
  );
}
