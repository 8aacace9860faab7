// The app frame: sign-in gate, role-aware navigation, one route per area.
import { useEffect, useRef, type ReactNode } from 'react';
import { NavLink, Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from './session';
import { SignIn } from './pages/SignIn';
import { Library, TitlePage } from './pages/Library';
import { Rights } from './pages/Rights';
import { Datasets, DatasetPage } from './pages/Datasets';
import { Training, RunPage, ModelPage } from './pages/Training';
import { Generate } from './pages/Generate';
import { Usage } from './pages/Usage';
import { Audit } from './pages/Audit';

interface NavItem {
  to: string;
  label: string;
  /** The route a person must be allowed to call to see the page at all. */
  permission: string;
}

const NAV: NavItem[] = [
  { to: '/library', label: 'Library', permission: 'GET /api/titles' },
  { to: '/rights', label: 'Rights', permission: 'GET /api/rights' },
  { to: '/datasets', label: 'Datasets', permission: 'GET /api/datasets' },
  { to: '/training', label: 'Training', permission: 'GET /api/models' },
  { to: '/generate', label: 'Generate', permission: 'POST /api/generations' },
  { to: '/usage', label: 'Usage & royalties', permission: 'GET /api/usage' },
  { to: '/audit', label: 'Audit', permission: 'GET /api/audit' },
];

/** A page the person's role does not open: say so in words instead of showing refused requests. */
function Guard({ area, children }: { area: string; children: ReactNode }) {
  const { session, can } = useSession();
  const item = NAV.find((n) => n.to === area)!;
  if (can(item.permission)) return <>{children}</>;
  return (
    <>
      <h1>{item.label}</h1>
      <div className="alert info" role="status">
        Your role ({session?.user.role}) does not include {item.label.toLowerCase()}. Ask an administrator if you need it.
      </div>
    </>
  );
}

export function App() {
  const { session, ready, signOut, can } = useSession();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);

  // Move focus to the page on navigation so keyboard and screen-reader users land on the new content.
  useEffect(() => {
    mainRef.current?.focus();
  }, [location.pathname]);

  if (!ready) return <p className="muted" role="status" style={{ padding: 24 }}>Loading Backlot…</p>;
  if (!session) return <SignIn />;

  const visible = NAV.filter((n) => can(n.permission));
  const home = visible[0]?.to ?? '/library';
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          Back<span>lot</span>
        </div>
        <nav className="nav" aria-label="Main">
          {visible.map((n) => (
            <NavLink key={n.to} to={n.to}>
              {n.label}
            </NavLink>
          ))}
        </nav>
        <div className="who">
          <strong>{session.user.displayName}</strong>
          {session.user.role}
          <div style={{ marginTop: 8 }}>
            <button className="secondary" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </aside>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to={home} replace />} />
          <Route path="/library" element={<Library />} />
          <Route path="/library/:titleId" element={<TitlePage />} />
          <Route path="/rights" element={<Guard area="/rights"><Rights /></Guard>} />
          <Route path="/datasets" element={<Guard area="/datasets"><Datasets /></Guard>} />
          <Route path="/datasets/:datasetId" element={<Guard area="/datasets"><DatasetPage /></Guard>} />
          <Route path="/training" element={<Guard area="/training"><Training /></Guard>} />
          <Route path="/training/model/:modelId" element={<Guard area="/training"><ModelPage /></Guard>} />
          <Route path="/training/:runId" element={<Guard area="/training"><RunPage /></Guard>} />
          <Route path="/generate" element={<Guard area="/generate"><Generate /></Guard>} />
          <Route path="/usage" element={<Guard area="/usage"><Usage /></Guard>} />
          <Route path="/audit" element={<Guard area="/audit"><Audit /></Guard>} />
          <Route path="*" element={<p>There is no page here. Choose an area on the left.</p>} />
        </Routes>
      </main>
    </div>
  );
}
