// Training: start a run on a dataset, watch its loss curve live, see samples per checkpoint,
// evaluation figures, lineage and the compute it used; the registered models.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { post, subscribe } from '../api';
import { useSession } from '../session';
import { LossChart } from '../components/LossChart';
import { Badge, ErrorBox, Loading, messageOf, useResource } from '../components/ui';

interface RunSummary {
  id: string;
  datasetId: string;
  datasetName?: string;
  preset: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  step: number;
  steps: number;
  startedAt: string | null;
  modelId: string | null;
  jobId?: string | null;
}
interface RunDetail extends RunSummary {
  curve: Array<{ step: number; loss: number }>;
  samples: Array<{ step: number; url: string }>;
  error: string | null;
}
interface ModelSummary {
  id: string;
  preset: string;
  datasetId: string;
  datasetRoot: string;
  createdAt: string;
  eval: Record<string, unknown> | null;
  compute: Record<string, unknown> | null;
  lineage: { datasets: Array<{ id: string; merkleRoot: string }>; bases: Array<{ modelId: string }> };
  tainted?: string[];
}

export function Training() {
  const { can } = useSession();
  const navigate = useNavigate();
  const runs = useResource<{ runs: RunSummary[] }>('/api/training/runs', 5000);
  const models = useResource<{ models: ModelSummary[] }>('/api/models');
  const datasets = useResource<{ datasets: Array<{ id: string; name: string; tainted: string[] }> }>('/api/datasets');
  const [dataset, setDataset] = useState('');
  const [preset, setPreset] = useState('tiny');
  const [steps, setSteps] = useState('200');
  const [err, setErr] = useState<string | null>(null);

  async function start(e: FormEvent) {
    e.preventDefault();
    setErr(null);
    try {
      const r = await post<{ runId: string }>('/api/training/runs', { dataset, preset, steps: Number(steps) });
      navigate(`/training/${r.runId}`);
    } catch (e2) {
      setErr(messageOf(e2));
    }
  }

  return (
    <>
      <h1>Training</h1>
      {can('POST /api/training/runs') && (
        <form className="card" onSubmit={start} aria-labelledby="train-title">
          <h2 id="train-title" style={{ marginTop: 0 }}>
            Start a training run
          </h2>
          <div className="row">
            <div className="grow field">
              <label htmlFor="run-dataset">Dataset</label>
              <select id="run-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} required>
                <option value="">choose…</option>
                {datasets.data?.datasets.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                    {d.tainted.length ? ' (tainted)' : ''}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="run-preset">Preset</label>
              <select id="run-preset" value={preset} onChange={(e) => setPreset(e.target.value)}>
                <option value="tiny">tiny (CPU, minutes)</option>
                <option value="small">small (CPU, hours)</option>
                <option value="base">base (GPU)</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="run-steps">Steps</label>
              <input id="run-steps" type="number" min="1" max="1000000" value={steps} onChange={(e) => setSteps(e.target.value)} />
            </div>
          </div>
          <button type="submit" disabled={!dataset}>
            Start training
          </button>
          <ErrorBox error={err} />
        </form>
      )}
      <h2>Runs</h2>
      <ErrorBox error={runs.error} />
      {runs.loading && !runs.data && <Loading what="runs" />}
      {runs.data?.runs.length === 0 && <p className="muted">No training runs yet.</p>}
      {!!runs.data?.runs.length && (
        <table>
          <thead>
            <tr>
              <th>Run</th>
              <th>Dataset</th>
              <th>Preset</th>
              <th>Progress</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/training/${r.id}`}>{r.id}</Link>
                </td>
                <td>{r.datasetName ?? r.datasetId}</td>
                <td>{r.preset}</td>
                <td>
                  {r.step} / {r.steps}
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Models</h2>
      <ErrorBox error={models.error} />
      {models.data?.models.length === 0 && <p className="muted">No models yet.</p>}
      {!!models.data?.models.length && (
        <table>
          <thead>
            <tr>
              <th>Model</th>
              <th>Preset</th>
              <th>Dataset root</th>
              <th>Evaluation</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {models.data.models.map((m) => (
              <tr key={m.id}>
                <td className="mono">{m.id}</td>
                <td>{m.preset}</td>
                <td className="mono">{m.datasetRoot.slice(0, 16)}…</td>
                <td>{m.eval ? <EvalFigures figures={m.eval} /> : <span className="muted">not evaluated</span>}</td>
                <td>{m.tainted?.length ? <Badge kind="bad">tainted</Badge> : <Badge kind="ok">clear</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function StatusBadge({ status }: { status: RunSummary['status'] }) {
  const kind = status === 'completed' ? 'ok' : status === 'failed' ? 'bad' : status === 'running' ? 'info' : 'warn';
  return <Badge kind={kind}>{status}</Badge>;
}

function EvalFigures({ figures }: { figures: Record<string, unknown> }) {
  const shown = Object.entries(figures).filter(([, v]) => typeof v === 'number');
  return (
    <span className="mono">
      {shown
        .slice(0, 6)
        .map(([k, v]) => `${k} ${(v as number).toFixed(3)}`)
        .join(' · ')}
    </span>
  );
}

export function RunPage() {
  const { runId = '' } = useParams();
  const run = useResource<RunDetail>(`/api/training/runs/${encodeURIComponent(runId)}`);
  const [live, setLive] = useState<Array<{ step: number; loss: number }>>([]);
  const model = useResource<ModelSummary>(run.data?.modelId ? `/api/models/${encodeURIComponent(run.data.modelId)}` : null);

  // While the run is going, follow its job's events and extend the curve as steps arrive.
  useEffect(() => {
    if (!run.data?.jobId || (run.data.status !== 'running' && run.data.status !== 'queued')) return;
    return subscribe<{ state: string; progress: { done: number; loss?: number; metrics?: { loss?: number } } | null }>(
      `/api/jobs/${encodeURIComponent(run.data.jobId)}/events`,
      (e) => {
        const loss = e.progress?.loss ?? e.progress?.metrics?.loss;
        if (e.progress && typeof loss === 'number') setLive((pts) => (pts.at(-1)?.step === e.progress!.done ? pts : [...pts, { step: e.progress!.done, loss }]));
        if (e.state === 'completed' || e.state === 'failed' || e.state === 'cancelled') run.reload();
      },
    );
  }, [run.data?.jobId, run.data?.status, run.reload]);

  const curve = [...(run.data?.curve ?? []), ...live.filter((p) => p.step > (run.data?.curve.at(-1)?.step ?? -1))];
  return (
    <>
      <p>
        <Link to="/training">← Training</Link>
      </p>
      <ErrorBox error={run.error} />
      {run.loading && !run.data && <Loading what="the run" />}
      {run.data && (
        <>
          <h1>
            Run {run.data.id} <StatusBadge status={run.data.status} />
          </h1>
          <p className="muted">
            {run.data.preset} on {run.data.datasetName ?? run.data.datasetId} · step {curve.at(-1)?.step ?? run.data.step} of {run.data.steps}
          </p>
          <ErrorBox error={run.data.error} />
          <h2>Loss</h2>
          <LossChart points={curve} label="Training loss" />
          {run.data.samples.length > 0 && (
            <>
              <h2>Samples by checkpoint</h2>
              <div className="shots">
                {run.data.samples.map((s) => (
                  <figure key={s.step} className="shot" style={{ margin: 0 }}>
                    <video src={s.url} controls muted loop aria-label={`Sample at step ${s.step}`} />
                    <figcaption className="meta">step {s.step}</figcaption>
                  </figure>
                ))}
              </div>
            </>
          )}
          {model.data && (
            <>
              <h2>Model {model.data.id}</h2>
              <div className="split">
                <section className="card">
                  <h3 style={{ marginTop: 0 }}>Lineage</h3>
                  <ul>
                    {model.data.lineage.datasets.map((d) => (
                      <li key={d.id}>
                        dataset {d.id} root <span className="mono">{d.merkleRoot.slice(0, 24)}…</span>
                      </li>
                    ))}
                    {model.data.lineage.bases.map((b) => (
                      <li key={b.modelId}>base model {b.modelId}</li>
                    ))}
                  </ul>
                </section>
                <section className="card">
                  <h3 style={{ marginTop: 0 }}>Evaluation and compute</h3>
                  {model.data.eval ? <EvalFigures figures={model.data.eval} /> : <p className="muted">Not evaluated yet.</p>}
                  {model.data.compute && <EvalFigures figures={model.data.compute} />}
                </section>
              </div>
            </>
          )}
        </>
      )}
    </>
  );
}
