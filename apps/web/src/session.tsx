// Who is signed in and what their role may do. The server is the authority on permissions
// (every route checks them); the app only hides buttons a person cannot use.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { get, onUnauthorised, post, setCsrfToken } from './api';

export type Role = 'admin' | 'rights' | 'ml' | 'creative' | 'viewer';

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

interface SessionInfo {
  user: SessionUser;
  role: Role;
  csrfToken?: string;
  /** The routes ("METHOD /path") this person may call, from the server's role table. */
  allowed: string[];
}

interface SessionState {
  session: SessionInfo | null;
  ready: boolean;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** May this person call the route "METHOD /api/path"? */
  can: (route: string) => boolean;
  refresh: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [ready, setReady] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const s = await get<SessionInfo>('/api/auth/me');
      setCsrfToken(s.csrfToken ?? null);
      setSession(s);
    } catch {
      setSession(null);
    } finally {
      setReady(true);
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onUnauthorised(() => setSession(null));
  }, [refresh]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      await post('/api/auth/sign-in', { username, password });
      await refresh();
    },
    [refresh],
  );
  const signOut = useCallback(async () => {
    await post('/api/auth/sign-out').catch(() => {});
    setCsrfToken(null);
    setSession(null);
  }, []);
  const can = useCallback((route: string) => !!session?.allowed?.includes(route), [session]);

  return <SessionContext.Provider value={{ session, ready, signIn, signOut, can, refresh }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
