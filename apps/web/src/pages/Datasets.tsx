// Datasets: build one with live progress; for each snapshot its composition, exclusion report,
// Merkle root and verification; and what changed between two snapshots.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { get, post } from '../api';
import { useSession } from '../session';
import { JobProgress, useJob } from '../components/jobs';
import { Badge, BarChart, ErrorBox, Loading, Notice, messageOf, useResource } from '../components/ui';

interface DatasetSummary {
  id: string;
  name: string;
  purpose: string;
  createdAt: string;
  createdBy: string;
  merkleRoot: string;
  policyVersion: string;
  counts: { train: number; val: number; excluded: number };
  tainted: string | null;
}
interface DatasetDetail extends DatasetSummary {
  excludedByRule: Record<string, number>;
  titles: Array<{ titleId: string; split: string; clips: number }>;
  taints: Array<{ reason: string; cause: string; clipCount: number; at: string }>;
}
interface Verification {
  ok: boolean;
  merkleRoot: string;
  recomputedRoot: string | null;
  problems: Array<{ file: string; line?: number; shotId?: string; message: string }>;
}
type Change = { kind: 'entered' | 'left' | 'changed'; shotId: string; titleId: string; why?: string; fields?: string[] };
interface Diff {
  entered: number;
  left: number;
  changed: number;
  leftByRule: Record<string, number>;
  changes: Change[];
  truncated: boolean;
}

export function Datasets() {
  const { can } = useSession();
  const list = useResource<{ datasets: DatasetSummary[] }>('/api/datasets');
  const [name, setName] = useState('');
  const [purpose, setPurpose] = useState('video');
  const [valFraction, setValFraction] = useState('0.2');
  const [jobId, setJobId] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const job = useJob(jobId);
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [diff, setDiff] = useState<Diff | null>(null);
  const [diffErr, setDiffErr] = useState<string | null>(null);

  useEffect(() => {
    if (job?.state === 'completed') list.reload();
  }, [job?.state, list.reload]);

  async function build(e: FormEvent) {
    e.preventDefault();
    setErr(null);
    try {
      const job = await post<{ id: string }>('/api/datasets', { name: name.trim(), purpose, valFraction: Number(valFraction) });
      setJobId(job.id);
    } catch (e2) {
      setErr(messageOf(e2));
    }
  }

  async function compare(e: FormEvent) {
    e.preventDefault();
    setDiffErr(null);
    setDiff(null);
    try {
      setDiff(await get<Diff>(`/api/datasets/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`));
    } catch (e2) {
      setDiffErr(messageOf(e2));
    }
  }

  const ds = list.data?.datasets ?? [];
  return (
    <>
      <h1>Datasets</h1>
      {can('POST /api/datasets') && (
        <form className="card" onSubmit={build} aria-labelledby="build-title">
          <h2 id="build-title" style={{ marginTop: 0 }}>
            Build a dataset
          </h2>
          <div className="row">
            <div className="grow field">
              <label htmlFor="ds-name">Name</label>
              <input id="ds-name" value={name} onChange={(e) => setName(e.target.value)} required pattern="[A-Za-z0-9._-]+" title="Letters, digits, dot, dash and underscore" />
            </div>
            <div className="field">
              <label htmlFor="ds-purpose">Purpose</label>
              <select id="ds-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)}>
                <option value="video">video model</option>
                <option value="audio">audio model</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="ds-val">Validation share</label>
              <input id="ds-val" type="number" min="0" max="0.9" step="0.05" value={valFraction} onChange={(e) => setValFraction(e.target.value)} />
            </div>
          </div>
          <button type="submit" disabled={!name.trim() || (!!job && (job.state === 'running' || job.state === 'queued'))}>
            Build
          </button>
          <ErrorBox error={err} />
          {jobId && <JobProgress job={job} label="Building dataset" />}
        </form>
      )}
      <h2>Snapshots</h2>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="datasets" />}
      {ds.length === 0 && list.data && <p className="muted">No datasets yet.</p>}
      {ds.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Built</th>
              <th>Train / val / excluded</th>
              <th>Merkle root</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {ds.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/datasets/${d.id}`}>{d.name}</Link>
                </td>
                <td>{d.createdAt.slice(0, 16).replace('T', ' ')}</td>
                <td>
                  {d.counts.train} / {d.counts.val} / {d.counts.excluded}
                </td>
                <td className="mono">{d.merkleRoot.slice(0, 16)}…</td>
                <td>{d.tainted ? <Badge kind="bad">tainted</Badge> : <Badge kind="ok">clear</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {ds.length >= 2 && (
        <form className="card" onSubmit={compare} style={{ marginTop: 16 }} aria-labelledby="diff-title">
          <h2 id="diff-title" style={{ marginTop: 0 }}>
            Compare two datasets
          </h2>
          <div className="row">
            <div className="grow">
              <label htmlFor="diff-a">From</label>
              <select id="diff-a" value={a} onChange={(e) => setA(e.target.value)} required>
                <option value="">choose…</option>
                {ds.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="grow">
              <label htmlFor="diff-b">To</label>
              <select id="diff-b" value={b} onChange={(e) => setB(e.target.value)} required>
                <option value="">choose…</option>
                {ds.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">Compare</button>
          </div>
          <ErrorBox error={diffErr} />
          {diff && (
            <>
              <p>
                {diff.entered} clips entered, {diff.left} left, {diff.changed} changed
                {Object.keys(diff.leftByRule).length > 0 && ` (left because of: ${Object.entries(diff.leftByRule).map(([r, n]) => `${r} ${n}`).join(', ')})`}.
              </p>
              <div className="split" style={{ marginTop: 12 }}>
                <DiffList title="Entered" rows={diff.changes.filter((c) => c.kind === 'entered')} />
                <DiffList title="Left" rows={diff.changes.filter((c) => c.kind === 'left')} />
              </div>
              {diff.truncated && <p className="muted">Only the first changes are listed.</p>}
            </>
          )}
        </form>
      )}
    </>
  );
}

function DiffList({ title, rows }: { title: string; rows: Change[] }) {
  return (
    <section>
      <h3>
        {title} ({rows.length})
      </h3>
      <ul>
        {rows.slice(0, 200).map((r) => (
          <li key={r.shotId}>
            <span className="mono">{r.shotId}</span>: {r.why}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function DatasetPage() {
  const { datasetId = '' } = useParams();
  const d = useResource<DatasetDetail>(`/api/datasets/${encodeURIComponent(datasetId)}`);
  const titles = useResource<{ titles: Array<{ id: string; name: string }> }>('/api/titles');
  const nameOf = (id: string) => titles.data?.titles.find((t) => t.id === id)?.name ?? id;
  const perTitle = new Map<string, number>();
  for (const t of d.data?.titles ?? []) perTitle.set(t.titleId, (perTitle.get(t.titleId) ?? 0) + t.clips);
  const [verification, setVerification] = useState<Verification | null>(null);
  const [verErr, setVerErr] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  async function verify() {
    setChecking(true);
    setVerErr(null);
    try {
      setVerification(await post<Verification>(`/api/datasets/${encodeURIComponent(datasetId)}/verify`));
    } catch (e) {
      setVerErr(messageOf(e));
    } finally {
      setChecking(false);
    }
  }

  return (
    <>
      <p>
        <Link to="/datasets">← Datasets</Link>
      </p>
      <ErrorBox error={d.error} />
      {d.loading && !d.data && <Loading what="the dataset" />}
      {d.data && (
        <>
          <h1>{d.data.name}</h1>
          {d.data.tainted && (
            <Notice kind="error">
              <strong>Tainted:</strong> {d.data.taints.map((t) => `${t.reason} (${t.clipCount} clips)`).join('; ') || d.data.tainted}. Build a new dataset before training on it.
            </Notice>
          )}
          <div className="card">
            <div>
              Merkle root <span className="mono">{d.data.merkleRoot}</span>
            </div>
            <div className="muted">
              policy {d.data.policyVersion} · purpose {d.data.purpose} · built {d.data.createdAt.replace('T', ' ').slice(0, 19)}
            </div>
            <div className="row" style={{ marginTop: 10 }}>
              <button onClick={() => void verify()} disabled={checking}>
                {checking ? 'Verifying…' : 'Verify files against the root'}
              </button>
              {verification && (verification.ok ? <Badge kind="ok">verified</Badge> : <Badge kind="bad">verification failed</Badge>)}
            </div>
            {verification && !verification.ok && (
              <ul>
                {verification.problems.map((p, i) => (
                  <li key={i}>
                    {p.file}
                    {p.line ? ` line ${p.line}` : ''}: {p.message}
                  </li>
                ))}
              </ul>
            )}
            <ErrorBox error={verErr} />
          </div>
          <div className="split">
            <section>
              <h2>Clips per title</h2>
              <BarChart label="Clips per title" rows={[...perTitle].map(([id, n]) => ({ name: nameOf(id), value: n }))} />
            </section>
            <section>
              <h2>Clips per split</h2>
              <BarChart
                label="Clips per split"
                rows={[
                  { name: 'train', value: d.data.counts.train },
                  { name: 'validation', value: d.data.counts.val },
                  { name: 'excluded', value: d.data.counts.excluded },
                ]}
              />
            </section>
          </div>
          <h2>Left out ({d.data.counts.excluded} shots)</h2>
          <table>
            <thead>
              <tr>
                <th>Rule</th>
                <th>Shots</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(d.data.excludedByRule)
                .sort((a, b) => b[1] - a[1])
                .map(([rule, n]) => (
                  <tr key={rule}>
                    <td>{rule}</td>
                    <td>{n}</td>
                  </tr>
                ))}
            </tbody>
          </table>
          <p className="muted">Every left-out shot and its reasons are in the snapshot's exclusion report (backlot dataset show {d.data.name} --json).</p>
        </>
      )}
    </>
  );
}
