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
  merkleRoot: string;
  policyVersion: string;
  counts: { train: number; val: number; excluded: number };
  tainted: string[];
}
interface DatasetDetail extends DatasetSummary {
  perTitle: Array<{ title: string; train: number; val: number; excluded: number }>;
  exclusions: Array<{ shotId: string; title: string; reasons: Array<{ rule: string; detail: string }> }>;
  exclusionsTotal: number;
}
interface Verification {
  ok: boolean;
  merkleRoot: string;
  problems: string[];
}
interface Diff {
  entered: Array<{ shotId: string; title: string; why: string }>;
  left: Array<{ shotId: string; title: string; why: string }>;
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
      const r = await post<{ jobId: string }>('/api/datasets', { name: name.trim(), purpose, valFraction: Number(valFraction) });
      setJobId(r.jobId);
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
          <button type="submit" disabled={!name.trim() || (!!job && (job.state === 'active' || job.state === 'queued'))}>
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
                <td>{d.tainted.length ? <Badge kind="bad">tainted</Badge> : <Badge kind="ok">clear</Badge>}</td>
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
            <div className="split" style={{ marginTop: 12 }}>
              <DiffList title={`Entered (${diff.entered.length})`} rows={diff.entered} />
              <DiffList title={`Left (${diff.left.length})`} rows={diff.left} />
            </div>
          )}
        </form>
      )}
    </>
  );
}

function DiffList({ title, rows }: { title: string; rows: Diff['entered'] }) {
  return (
    <section>
      <h3>{title}</h3>
      <ul>
        {rows.slice(0, 200).map((r) => (
          <li key={r.shotId}>
            {r.title} <span className="mono">{r.shotId}</span>: {r.why}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function DatasetPage() {
  const { datasetId = '' } = useParams();
  const d = useResource<DatasetDetail>(`/api/datasets/${encodeURIComponent(datasetId)}`);
  const [verification, setVerification] = useState<Verification | null>(null);
  const [verErr, setVerErr] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  async function verify() {
    setChecking(true);
    setVerErr(null);
    try {
      setVerification(await get<Verification>(`/api/datasets/${encodeURIComponent(datasetId)}/verify`));
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
          {d.data.tainted.length > 0 && (
            <Notice kind="error">
              <strong>Tainted:</strong> {d.data.tainted.join('; ')}. Build a new dataset before training on it.
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
                  <li key={i}>{p}</li>
                ))}
              </ul>
            )}
            <ErrorBox error={verErr} />
          </div>
          <div className="split">
            <section>
              <h2>Clips per title</h2>
              <BarChart label="Training clips per title" rows={d.data.perTitle.map((t) => ({ name: t.title, value: t.train + t.val }))} />
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
          <h2>Left out ({d.data.exclusionsTotal})</h2>
          <table>
            <thead>
              <tr>
                <th>Title</th>
                <th>Shot</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {d.data.exclusions.map((x) => (
                <tr key={x.shotId}>
                  <td>{x.title}</td>
                  <td className="mono">{x.shotId}</td>
                  <td>{x.reasons.map((r) => r.detail).join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
