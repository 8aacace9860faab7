// Small building blocks every page uses: loading a resource, showing errors as sentences,
// progress bars, badges and a pager.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, get } from '../api';

export interface Resource<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Loads `path` (skipped when null) and reloads when it changes or on demand. */
export function useResource<T>(path: string | null, pollMs?: number): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path === null) return;
    const ctrl = new AbortController();
    setLoading(true);
    get<T>(path, { signal: ctrl.signal })
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(messageOf(e));
      })
      .finally(() => setLoading(false));
    return () => ctrl.abort();
  }, [path, tick]);
  useEffect(() => {
    if (!pollMs) return;
    const id = setInterval(reload, pollMs);
    return () => clearInterval(id);
  }, [pollMs, reload]);
  return { data, error, loading, reload };
}

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return 'Something went wrong. Try again, and tell an administrator if it keeps happening.';
}

export function ErrorBox({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <div className="alert error" role="alert">
      {error}
    </div>
  );
}

export function Notice({ children, kind = 'info' }: { children: ReactNode; kind?: 'info' | 'success' | 'error' }) {
  return (
    <div className={`alert ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ProgressBar({ done, total, label }: { done: number; total?: number | null; label: string }) {
  const pct = total ? Math.min(100, Math.round((100 * done) / total)) : 0;
  return (
    <div>
      <div className="row">
        <span className="grow">{label}</span>
        <span className="muted">{total ? `${pct}%` : `${done}`}</span>
      </div>
      <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

export function Badge({ kind, children }: { kind: 'ok' | 'bad' | 'warn' | 'info'; children: ReactNode }) {
  return <span className={`badge ${kind}`}>{children}</span>;
}

export function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (p: number) => void }) {
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button className="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button className="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** Seconds as HH:MM:SS:FF timecode at a frame rate. */
export function timecode(seconds: number, fps = 24): string {
  const total = Math.round(seconds * fps);
  const f = total % Math.round(fps);
  const s = Math.floor(total / Math.round(fps));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}:${pad(f)}`;
}

/** A duration in words: tenths of a second under two minutes, else whole minutes and seconds. */
export function minutesSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

export function BarChart({ rows, label }: { rows: Array<{ name: string; value: number }>; label: string }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure className="bars" aria-label={label} style={{ margin: 0 }}>
      {rows.map((r) => (
        <div className="bar" key={r.name}>
          <span title={r.name}>{r.name.length > 22 ? `${r.name.slice(0, 21)}…` : r.name}</span>
          <div className="fill" style={{ width: `${(100 * r.value) / max}%` }} />
          <span>{r.value}</span>
        </div>
      ))}
    </figure>
  );
}
