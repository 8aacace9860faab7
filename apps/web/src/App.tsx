// The app frame: sign-in gate, role-aware navigation, one route per area.
import { useEffect, useRef } from 'react';
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
  { to: '/training', label: 'Training', permission: 'GET /api/training/runs' },
  { to: '/generate', label: 'Generate', permission: 'GET /api/generations' },
  { to: '/usage', label: 'Usage & royalties', permission: 'GET /api/usage' },
  { to: '/audit', label: 'Audit', permission: 'GET /api/audit' },
];

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
          <Route path="/rights" element={<Rights />} />
          <Route path="/datasets" element={<Datasets />} />
          <Route path="/datasets/:datasetId" element={<DatasetPage />} />
          <Route path="/training" element={<Training />} />
          <Route path="/training/model/:modelId" element={<ModelPage />} />
          <Route path="/training/:runId" element={<RunPage />} />
          <Route path="/generate" element={<Generate />} />
          <Route path="/usage" element={<Usage />} />
          <Route path="/audit" element={<Audit />} />
          <Route path="*" element={<p>There is no page here. Choose an area on the left.</p>} />
        </Routes>
      </main>
    </div>
  );
}
