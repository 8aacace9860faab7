// Training: start a run on a dataset, watch its loss curve live, then see the registered model:
// evaluation figures, lineage and the compute it used.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { post, subscribe } from '../api';
import { useSession } from '../session';
import { LossChart } from '../components/LossChart';
import { JobProgress, jobEnded, useJob, type JobView } from '../components/jobs';
import { Badge, ErrorBox, Loading, messageOf, minutesSeconds, useResource } from '../components/ui';

interface ModelSummary {
  id: string;
  name: string | null;
  kind: string;
  preset: string | null;
  datasetId: string | null;
  datasetRoot: string | null;
  createdAt: string;
  tainted: string | null;
  exported: boolean;
  finalLoss: number | null;
}
/** GET /api/models/{id}: the stored row (adherence lives in `eval.adherence`, not beside it as in the list). */
interface ModelDetail extends ModelSummary {
  lineage: { datasets: Array<{ id: string; merkleRoot: string }>; bases: Array<{ modelId: string }> };
  curves: Array<{ step: number; loss: number; phase?: string }>;
  eval: Record<string, unknown> | null;
  compute: Record<string, unknown>;
  card: { previews?: Array<{ step: number; path: string }> } | null;
}

/** Step and loss from a training progress line ("loss 0.1234 lr …"). */
function lossPoint(job: JobView): { step: number; loss: number } | null {
  const line = job.progress.find((p) => p.unit === 'steps');
  const m = line?.message ? /loss ([0-9.eE+-]+)/.exec(line.message) : null;
  return line && m ? { step: line.done, loss: Number(m[1]) } : null;
}

export function Training() {
  const { can } = useSession();
  const navigate = useNavigate();
  const runs = useResource<{ jobs: JobView[] }>('/api/jobs?kind=train&limit=50', 5000);
  const models = useResource<{ models: ModelSummary[] }>('/api/models');
  const datasets = useResource<{ datasets: Array<{ id: string; name: string; tainted: string | null }> }>(can('GET /api/datasets') ? '/api/datasets' : null);
  const [dataset, setDataset] = useState('');
  const [preset, setPreset] = useState('tiny');
  const [steps, setSteps] = useState('200');
  const [err, setErr] = useState<string | null>(null);

  async function start(e: FormEvent) {
    e.preventDefault();
    setErr(null);
    try {
      const job = await post<{ id: string }>('/api/training/runs', { dataset, preset, steps: Number(steps) });
      navigate(`/training/${job.id}`);
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
                  <option key={d.id} value={d.name}>
                    {d.name}
                    {d.tainted ? ' (tainted)' : ''}
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
      {runs.data?.jobs.length === 0 && <p className="muted">No training runs started from here yet.</p>}
      {!!runs.data?.jobs.length && (
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
            {runs.data.jobs.map((j) => {
              const input = (j.input ?? {}) as { dataset?: string; preset?: string };
              const p = j.progress.find((x) => x.unit === 'steps');
              return (
                <tr key={j.id}>
                  <td>
                    <Link to={`/training/${j.id}`}>{j.id.slice(0, 8)}</Link>
                  </td>
                  <td>{input.dataset}</td>
                  <td>{input.preset}</td>
                  <td>{p ? `${p.done}${p.total ? ` / ${p.total}` : ''} steps` : '—'}</td>
                  <td>
                    <StateBadge state={j.state} />
                  </td>
                </tr>
              );
            })}
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
              <th>Final loss</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {models.data.models.map((m) => (
              <tr key={m.id}>
                <td>
                  <Link to={`/training/model/${encodeURIComponent(m.id)}`} className="mono">
                    {m.id}
                  </Link>
                </td>
                <td>{m.preset ?? m.kind}</td>
                <td className="mono">{m.datasetRoot ? `${m.datasetRoot.slice(0, 16)}…` : '—'}</td>
                <td>{m.finalLoss?.toFixed(4) ?? '—'}</td>
                <td>
                  {m.tainted ? <Badge kind="bad">tainted</Badge> : <Badge kind="ok">clear</Badge>} {m.exported && <Badge kind="info">exported</Badge>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function StateBadge({ state }: { state: JobView['state'] }) {
  const kind = state === 'completed' ? 'ok' : state === 'failed' ? 'bad' : state === 'running' ? 'info' : 'warn';
  return <Badge kind={kind}>{state}</Badge>;
}

/** A training run (its job): live curve while it runs, then the model it registered. */
export function RunPage() {
  const { runId = '' } = useParams();
  const [job, setJob] = useState<JobView | null>(null);
  const [points, setPoints] = useState<Array<{ step: number; loss: number }>>([]);

  useEffect(() => {
    setPoints([]);
    return subscribe<JobView>(
      `/api/jobs/${encodeURIComponent(runId)}/events`,
      'job',
      (j) => {
        setJob(j);
        const p = lossPoint(j);
        if (p) setPoints((pts) => (pts.at(-1)?.step === p.step ? pts : [...pts, p]));
      },
      jobEnded,
    );
  }, [runId]);

  const modelId = job?.state === 'completed' ? ((job.result as { model?: { id: string } } | null)?.model?.id ?? null) : null;
  return (
    <>
      <p>
        <Link to="/training">← Training</Link>
      </p>
      <h1>Training run {runId.slice(0, 8)}</h1>
      {!job && <Loading what="the run" />}
      {job && (
        <>
          <p className="muted">
            {(job.input as { preset?: string }).preset} on {(job.input as { dataset?: string }).dataset} · <StateBadge state={job.state} />
          </p>
          <JobProgress job={job} label="Training" />
          <h2>Loss</h2>
          {modelId ? <ModelPanel id={modelId} /> : <LossChart points={points} label="Training loss" />}
        </>
      )}
    </>
  );
}

export function ModelPage() {
  const { modelId = '' } = useParams();
  return (
    <>
      <p>
        <Link to="/training">← Training</Link>
      </p>
      <h1>
        Model <span className="mono">{modelId}</span>
      </h1>
      <ModelPanel id={modelId} />
    </>
  );
}

/** The run's first and last preview grids side by side: what the untrained denoiser drew, what the model draws. */
function Previews({ modelId, previews }: { modelId: string; previews: Array<{ step: number; path: string }> }) {
  if (previews.length === 0) return null;
  const shown = previews.length > 1 ? [previews[0]!, previews.at(-1)!] : previews;
  return (
    <section className="card">
      <h3 style={{ marginTop: 0 }}>Previews</h3>
      <p className="muted">Generated from the captions of held-out clips (top row), above those real clips (bottom row); same prompts and noise at every step.</p>
      <div className="split">
        {shown.map((pv, i) => (
          <figure key={pv.step} style={{ margin: 0 }}>
            <video src={`/api/models/${encodeURIComponent(modelId)}/previews/${pv.step}`} controls loop autoPlay muted playsInline
              aria-label={`Preview at step ${pv.step}`} style={{ width: '100%', imageRendering: 'pixelated' }} />
            <figcaption className="muted">step {pv.step}{i === 0 && shown.length > 1 ? ' (untrained)' : ''}</figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}

const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(0)}%` : '—');
const num = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : '—');

/** Named figures, one row each. */
function FigureTable({ label, rows }: { label: string; rows: Array<[string, string]> }) {
  return (
    <table aria-label={label}>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td className="mono">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `captionReliance` (trainer.evaluate): per cent the denoiser's error rises with one caption word swapped. */
interface CaptionReliance { t: number[]; clips: number; colour: number[]; shape: number[]; direction: number[]; noCaption: number[] }

/** A heading row, then one short row per word (a long value would break mid-number in a figure cell). */
function wordRows(r: CaptionReliance): Array<[string, string]> {
  const rise = (v: number[]) => `${v.map((x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`).join(' / ')} %`;
  return [
    ['What each word steers', `error rise at noise ${r.t.join(' / ')}, ${r.clips} clips`],
    ['Colour word swapped', rise(r.colour)],
    ['Shape word swapped', rise(r.shape)],
    ['Direction word swapped', rise(r.direction)],
    ['No caption', rise(r.noCaption)],
  ];
}

/** The evaluation's single figures, named as the model card names them. */
function EvalFigures({ figures: e }: { figures: Record<string, unknown> }) {
  const sampler = (e.sampler ?? {}) as { steps?: number; guidance?: number; guidanceInterval?: { lo: number; hi: number }; samplesPerPrompt?: number };
  const gi = sampler.guidanceInterval;
  const interval = gi && !(gi.lo === 0 && gi.hi === 1) ? ` on t in (${gi.lo}, ${gi.hi}]` : '';
  const rel = e.captionReliance as CaptionReliance | null | undefined;
  return (
    <FigureTable
      label="Evaluation figures"
      rows={[
        ['Validation loss', num(e.valLoss, 4)],
        ['Fréchet distance', `${num(e.frechet, 3)} (real against real: ${num(e.frechetRealHalves, 3)})`],
        ['Autoencoder PSNR', typeof e.aePsnr === 'number' ? `${e.aePsnr.toFixed(1)} dB` : '— (pixel space)'],
        ['Held-out clips', String(e.valClips ?? '—')],
        ['Sampler', `${sampler.steps ?? '—'} steps, guidance ${sampler.guidance ?? '—'}${interval}, ${sampler.samplesPerPrompt ?? 1} per prompt`],
        ...(rel ? wordRows(rel) : []),
      ]}
    />
  );
}

/** What the training run took: the model record's `compute`. */
function ComputeFigures({ compute: c }: { compute: Record<string, unknown> }) {
  const wall = typeof c.wallSeconds === 'number' ? minutesSeconds(c.wallSeconds) : '—';
  return (
    <FigureTable
      label="Training compute"
      rows={[
        ['Device', String(c.device ?? '—')],
        ['Processes', String(c.processes ?? '—')],
        ['Precision', String(c.autocast ?? 'fp32')],
        ['Wall time', wall],
        ['Samples seen', typeof c.samplesSeen === 'number' ? c.samplesSeen.toLocaleString('en') : '—'],
        ['Energy (estimate)', `${typeof c.energyKwh === 'number' ? `${c.energyKwh.toFixed(4)} kWh` : '—'}${c.energyAssumption ? ` at ${String(c.energyAssumption)}` : ''}`],
      ]}
    />
  );
}

const ADHERENCE_MODES: Record<string, string> = {
  t2v: 'Text to video',
  t2vWorldHeldOut: 'Text to video, unseen combinations',
  i2v: 'Image to video',
  extend: 'Extend',
  interpolate: 'Interpolate',
};
const ADHERENCE_COLUMNS: Array<[string, string]> = [
  ['colour', 'Colour'],
  ['shape', 'Shape'],
  ['direction', 'Direction'],
  ['background', 'Background'],
  ['colourDirectionBackground', 'All three'],
];

/** How often generations show what their held-out prompt asks for, per mode, against chance. */
function Adherence({ adherence, chance }: { adherence: Record<string, unknown>; chance: Record<string, number> }) {
  // in the order of ADHERENCE_MODES (the stored JSON's own key order is the database's), others after
  const order = (k: string) => {
    const i = Object.keys(ADHERENCE_MODES).indexOf(k);
    return i < 0 ? Infinity : i;
  };
  const modes = Object.entries(adherence)
    .filter((e): e is [string, Record<string, unknown>] => !!e[1] && typeof e[1] === 'object')
    .sort(([a], [b]) => order(a) - order(b));
  if (modes.length === 0) return null;
  return (
    <section className="card">
      <h3 style={{ marginTop: 0 }}>Prompt adherence</h3>
      <p className="muted">
        Share of generations whose object, motion and backdrop match the held-out prompt, judged by plain image analysis; in brackets the 95% interval. "All
        three" is colour, direction and background right on the same clip.
      </p>
      <table aria-label="Prompt adherence">
        <thead>
          <tr>
            <th>Mode</th>
            {ADHERENCE_COLUMNS.map(([k, label]) => (
              <th key={k}>{label}</th>
            ))}
            <th>Prompts</th>
          </tr>
        </thead>
        <tbody>
          {modes.map(([mode, a]) => {
            const ci = (a.ci95 ?? {}) as Record<string, [number, number]>;
            const confusion = a.shapeConfusion as Record<string, Record<string, number>> | undefined;
            const shapesRead = confusion
              ? `Shapes read as: ${Object.entries(confusion).map(([asked, read]) => `${asked} → ${Object.entries(read).map(([r, n]) => `${r} ${n}`).join(', ')}`).join('; ')}`
              : undefined;
            return (
              <tr key={mode}>
                <th scope="row">{ADHERENCE_MODES[mode] ?? mode}</th>
                {ADHERENCE_COLUMNS.map(([k]) => (
                  <td key={k} className="mono" title={k === 'shape' ? shapesRead : undefined}>
                    {pct(a[k])}
                    {ci[k] && <span className="muted"> ({pct(ci[k][0])}–{pct(ci[k][1])})</span>}
                  </td>
                ))}
                <td className="mono">
                  {String(a.n ?? '—')} × {String(a.samplesPerPrompt ?? 1)}
                </td>
              </tr>
            );
          })}
          <tr>
            <th scope="row" className="muted">
              Chance
            </th>
            {ADHERENCE_COLUMNS.map(([k]) => (
              <td key={k} className="mono muted">
                {pct(chance[k])}
              </td>
            ))}
            <td />
          </tr>
        </tbody>
      </table>
    </section>
  );
}

/** Starts an evaluation of the model (a server job) and follows it; the figures reload when it ends. */
function Evaluate({ modelId, again, onDone }: { modelId: string; again: boolean; onDone: () => void }) {
  const [steps, setSteps] = useState('20');
  const [samples, setSamples] = useState('4');
  const [jobId, setJobId] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const job = useJob(jobId);
  const ended = job ? jobEnded(job) : false;
  useEffect(() => {
    if (job?.state === 'completed') onDone();
  }, [job?.state, onDone]);

  async function start(e: FormEvent) {
    e.preventDefault();
    setErr(null);
    try {
      const j = await post<{ id: string }>('/api/evaluations', { model: modelId, steps: Number(steps), samples: Number(samples) });
      setJobId(j.id);
    } catch (e2) {
      setErr(messageOf(e2));
    }
  }

  const busy = jobId !== null && !ended;
  return (
    <form onSubmit={start} aria-label="Evaluate this model" style={{ marginTop: 12 }}>
      <div className="row">
        <div className="field">
          <label htmlFor="eval-steps">Sampler steps</label>
          <input id="eval-steps" type="number" min="1" max="200" value={steps} onChange={(e) => setSteps(e.target.value)} disabled={busy} />
        </div>
        <div className="field">
          <label htmlFor="eval-samples">Samples per prompt</label>
          <input id="eval-samples" type="number" min="1" max="16" value={samples} onChange={(e) => setSamples(e.target.value)} disabled={busy} />
        </div>
      </div>
      <button type="submit" disabled={busy}>
        {again ? 'Evaluate again' : 'Evaluate'}
      </button>
      {jobId && <JobProgress job={job} label="Evaluation" />}
      <ErrorBox error={err} />
    </form>
  );
}

function ModelPanel({ id }: { id: string }) {
  const { can } = useSession();
  const model = useResource<ModelDetail>(`/api/models/${encodeURIComponent(id)}`);
  if (model.error) return <ErrorBox error={model.error} />;
  if (!model.data) return <Loading what="the model" />;
  const m = model.data;
  const dit = m.curves.filter((c) => !c.phase || c.phase === 'dit');
  return (
    <>
      <LossChart points={dit} label="Training loss" />
      {m.tainted && <ErrorBox error={`Tainted: ${m.tainted}`} />}
      <Previews modelId={m.id} previews={m.card?.previews ?? []} />
      <div className="split">
        <section className="card">
          <h3 style={{ marginTop: 0 }}>Lineage</h3>
          <ul>
            {m.lineage.datasets.map((d) => (
              <li key={d.id}>
                dataset {d.id}, Merkle root <span className="mono">{d.merkleRoot.slice(0, 24)}…</span>
              </li>
            ))}
            {m.lineage.bases.map((b) => (
              <li key={b.modelId}>base model {b.modelId}</li>
            ))}
          </ul>
          <h3>Compute</h3>
          <ComputeFigures compute={m.compute} />
        </section>
        <section className="card">
          <h3 style={{ marginTop: 0 }}>Evaluation</h3>
          {m.eval ? <EvalFigures figures={m.eval} /> : <p className="muted">Not evaluated yet.</p>}
          {can('POST /api/evaluations') && <Evaluate modelId={m.id} again={!!m.eval} onDone={model.reload} />}
        </section>
      </div>
      {m.eval?.adherence ? <Adherence adherence={m.eval.adherence as Record<string, unknown>} chance={(m.eval.chance ?? {}) as Record<string, number>} /> : null}
    </>
  );
}
