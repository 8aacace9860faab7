// Generate: prompt and options, optional first/last frame or a clip to extend or restyle; a queue
// with live progress and cancel; a gallery with playback; for each result its provenance and
// attribution; refusals explained in plain words.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, post, upload } from '../api';
import { useSession } from '../session';
import { JobProgress, useJob } from '../components/jobs';
import { ErrorBox, Loading, Notice, messageOf, useResource } from '../components/ui';

type Mode = 't2v' | 'i2v' | 'interpolate' | 'extend' | 'restyle';

interface Output {
  id: string;
  prompt: string;
  modelId: string;
  mode: Mode;
  createdAt: string;
  seconds: number | null;
  status: string;
  sha256: string | null;
}
interface Credentials {
  state: string;
  summary: string;
  manifest?: {
    signer: { issuer?: string; commonName?: string; time?: string };
    actions: Array<{ action: string; digitalSourceType?: string }>;
    lineage?: { modelId: string; lineage: { datasets?: Array<{ id: string; merkleRoot: string }>; bases?: Array<{ modelId: string }> }; datasetMerkleRoot: string; promptSha256: string };
    ingredients?: Array<{ title: string; relationship: string; format?: string }>;
  };
}
interface Attribution {
  titles: Array<{ titleId: string; title: string; share: number }>;
  clips: Array<{ clipId: string; title: string; similarity: number; share: number }>;
}

const MODE_LABEL: Record<Mode, string> = {
  t2v: 'From text',
  i2v: 'From a first frame',
  interpolate: 'Between two frames',
  extend: 'Extend a clip',
  restyle: 'Restyle a clip',
};


/** A refusal as a person should read it: who was named and why that is not allowed. */
function RefusalNotice({ message }: { message: string }) {
  return (
    <Notice kind="error">
      <strong>This prompt cannot be generated.</strong> {message.replace(/^refused:\s*/, '')}. Backlot only makes likenesses of people who have consented to it. Remove the name, or
      describe a character without naming a real person.
    </Notice>
  );
}

export function Generate() {
  const { can } = useSession();
  const models = useResource<{ models: Array<{ id: string; preset: string; exported: boolean; tainted?: string | null }> }>('/api/models');
  const outputs = useResource<{ outputs: Output[]; next: string | null }>('/api/outputs?limit=60');
  const [prompt, setPrompt] = useState('');
  const [model, setModel] = useState('');
  const [mode, setMode] = useState<Mode>('t2v');
  const [first, setFirst] = useState<File | null>(null);
  const [last, setLast] = useState<File | null>(null);
  const [clip, setClip] = useState<File | null>(null);
  const [seed, setSeed] = useState('');
  const [steps, setSteps] = useState('20');
  const [guidance, setGuidance] = useState('3');
  const [strength, setStrength] = useState('0.6');
  const [jobId, setJobId] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<Output | null>(null);
  const job = useJob(jobId);

  useEffect(() => {
    // The newest model that can generate (exported to ONNX).
    const usable = models.data?.models.find((m) => m.exported);
    if (!model && usable) setModel(usable.id);
  }, [models.data, model]);
  useEffect(() => {
    if (job?.state === 'completed' || job?.state === 'failed') outputs.reload();
    if (job?.state === 'failed' && job.error?.code === 'likeness_refused') setRefusal(job.error.message);
  }, [job?.state, job?.error, outputs.reload]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErr(null);
    setRefusal(null);
    setBusy(true);
    try {
      const body: Record<string, unknown> = { prompt, modelId: model, steps: Number(steps), guidance: Number(guidance) };
      if (seed.trim()) body.seed = Number(seed);
      if ((mode === 'i2v' || mode === 'interpolate') && first) body.image = (await upload(first, 'image')).sha256;
      if (mode === 'interpolate' && last) body.last = (await upload(last, 'image')).sha256;
      if (mode === 'extend' && clip) body.extend = (await upload(clip, 'video')).sha256;
      if (mode === 'restyle' && clip) {
        body.restyle = (await upload(clip, 'video')).sha256;
        body.strength = Number(strength);
      }
      const job = await post<{ id: string }>('/api/generations', body);
      setJobId(job.id);
    } catch (e2) {
      if (e2 instanceof ApiError && e2.code === 'likeness_refused') setRefusal(e2.message);
      else setErr(messageOf(e2));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Generate</h1>
      {can('POST /api/generations') && (
        <form className="card" onSubmit={submit} aria-labelledby="gen-title">
          <h2 id="gen-title" style={{ marginTop: 0 }}>
            New clip
          </h2>
          <div className="field">
            <label htmlFor="gen-prompt">Prompt</label>
            <textarea id="gen-prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} required maxLength={500} placeholder="a red ball moving left at night" />
          </div>
          <div className="row">
            <div className="grow field">
              <label htmlFor="gen-model">Model</label>
              <select id="gen-model" value={model} onChange={(e) => setModel(e.target.value)} required>
                {models.data?.models.map((m) => (
                  <option key={m.id} value={m.id} disabled={!m.exported}>
                    {m.id} ({m.preset}){m.exported ? '' : ', not exported yet'}{m.tainted ? ', tainted' : ''}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="gen-mode">Mode</label>
              <select id="gen-mode" value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
                {(Object.keys(MODE_LABEL) as Mode[]).map((m) => (
                  <option key={m} value={m}>
                    {MODE_LABEL[m]}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <div className="row">
            {(mode === 'i2v' || mode === 'interpolate') && (
              <div className="field grow">
                <label htmlFor="gen-first">First frame (PNG or JPEG)</label>
                <input id="gen-first" type="file" accept="image/png,image/jpeg" required onChange={(e) => setFirst(e.target.files?.[0] ?? null)} />
              </div>
            )}
            {mode === 'interpolate' && (
              <div className="field grow">
                <label htmlFor="gen-last">Last frame (PNG or JPEG)</label>
                <input id="gen-last" type="file" accept="image/png,image/jpeg" required onChange={(e) => setLast(e.target.files?.[0] ?? null)} />
              </div>
            )}
            {(mode === 'extend' || mode === 'restyle') && (
              <div className="field grow">
                <label htmlFor="gen-clip">Clip (MP4)</label>
                <input id="gen-clip" type="file" accept="video/mp4,video/quicktime,video/webm" required onChange={(e) => setClip(e.target.files?.[0] ?? null)} />
              </div>
            )}
            {mode === 'restyle' && (
              <div className="field">
                <label htmlFor="gen-strength">Strength</label>
                <input id="gen-strength" type="number" min="0.05" max="1" step="0.05" value={strength} onChange={(e) => setStrength(e.target.value)} />
              </div>
            )}
          </div>
          <div className="row">
            <div className="field">
              <label htmlFor="gen-seed">Seed (blank for random)</label>
              <input id="gen-seed" type="number" min="0" step="1" value={seed} onChange={(e) => setSeed(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="gen-steps">Steps</label>
              <input id="gen-steps" type="number" min="1" max="200" value={steps} onChange={(e) => setSteps(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="gen-guidance">Guidance</label>
              <input id="gen-guidance" type="number" min="0" max="20" step="0.5" value={guidance} onChange={(e) => setGuidance(e.target.value)} />
            </div>
          </div>
          <button type="submit" disabled={busy || !prompt.trim() || !model}>
            {busy ? 'Sending…' : 'Generate'}
          </button>
          {refusal && <RefusalNotice message={refusal} />}
          <ErrorBox error={err} />
          {jobId && !(job?.state === 'failed' && job.error?.code === 'likeness_refused') && <JobProgress job={job} label="Generating" />}
        </form>
      )}

      <h2>Results</h2>
      <ErrorBox error={outputs.error} />
      {outputs.loading && !outputs.data && <Loading what="results" />}
      {outputs.data?.outputs.length === 0 && <p className="muted">Nothing generated yet.</p>}
      <div className="split">
        <div className="shots" aria-label="Gallery">
          {outputs.data?.outputs.map((o) => (
            <button key={o.id} className="shot" onClick={() => setSelected(o)} aria-pressed={selected?.id === o.id}>
              <span className="sr-only">Open result: </span>
              {o.sha256 ? <video src={`/api/outputs/${encodeURIComponent(o.id)}/video`} muted loop autoPlay playsInline aria-hidden="true" style={{ borderRadius: 0 }} /> : <div style={{ aspectRatio: '1', background: '#000' }} />}
              <div className="meta">
                {o.prompt.slice(0, 60)}
                <div className="muted">{MODE_LABEL[o.mode] ?? o.mode}</div>
              </div>
            </button>
          ))}
        </div>
        {selected && <ResultPanel output={selected} />}
      </div>
    </>
  );
}

function ResultPanel({ output }: { output: Output }) {
  const id = encodeURIComponent(output.id);
  const detail = useResource<{ attribution: Attribution }>(`/api/outputs/${id}`);
  const cred = useResource<Credentials>(`/api/outputs/${id}/credentials`);
  const lineage = cred.data?.manifest?.lineage;
  const signedOk = cred.data?.state === 'Trusted' || cred.data?.state === 'Valid';
  return (
    <section className="card" aria-label="Selected result">
      <video src={`/api/outputs/${id}/video`} controls loop autoPlay muted aria-label={`Result: ${output.prompt}`} />
      <p>
        {output.prompt} <span className="muted">· {MODE_LABEL[output.mode] ?? output.mode}</span>
      </p>
      <h3>Content credentials</h3>
      <ErrorBox error={cred.error} />
      {cred.loading && !cred.data && <Loading what="credentials" />}
      {cred.data && (
        <table>
          <tbody>
            <tr>
              <th scope="row">Signature</th>
              <td>
                <span data-testid="c2pa-state" className={`badge ${signedOk ? 'ok' : 'bad'}`}>{cred.data.state}</span> {cred.data.summary}
              </td>
            </tr>
            {cred.data.manifest?.signer.commonName && (
              <tr>
                <th scope="row">Signed by</th>
                <td>
                  {cred.data.manifest.signer.commonName}
                  {cred.data.manifest.signer.issuer ? `, issued by ${cred.data.manifest.signer.issuer}` : ''}
                </td>
              </tr>
            )}
            {lineage && (
              <>
                <tr>
                  <th scope="row">Model</th>
                  <td className="mono" data-testid="model-id">{lineage.modelId}</td>
                </tr>
                <tr>
                  <th scope="row">Dataset root</th>
                  <td className="mono" data-testid="dataset-root">{lineage.datasetMerkleRoot}</td>
                </tr>
                <tr>
                  <th scope="row">Lineage</th>
                  <td>
                    {(lineage.lineage.datasets ?? [])
                      .map((d) => `dataset ${d.id}`)
                      .concat((lineage.lineage.bases ?? []).map((b) => `base ${b.modelId}`))
                      .join(' ← ')}
                  </td>
                </tr>
                {(cred.data.manifest?.ingredients?.length ?? 0) > 0 && (
                  <tr>
                    <th scope="row">Inputs</th>
                    <td data-testid="ingredients">{cred.data.manifest!.ingredients!.map((i) => `${i.title}${i.format ? ` (${i.format})` : ''}`).join(', ')}</td>
                  </tr>
                )}
                <tr>
                  <th scope="row">Prompt hash</th>
                  <td className="mono">{lineage.promptSha256}</td>
                </tr>
              </>
            )}
          </tbody>
        </table>
      )}
      <h3>Draws on</h3>
      <ErrorBox error={detail.error} />
      {detail.data && (
        <table aria-label="Attribution to titles">
          <thead>
            <tr>
              <th>Title</th>
              <th>Share</th>
            </tr>
          </thead>
          <tbody>
            {detail.data.attribution.titles.map((t) => (
              <tr key={t.titleId}>
                <td>{t.title}</td>
                <td>{(100 * t.share).toFixed(1)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
