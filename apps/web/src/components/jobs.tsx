// Live progress of a server job over server-sent events, with cancel.
import { useEffect, useState } from 'react';
import { post, subscribe } from '../api';
import { ErrorBox, ProgressBar, messageOf } from './ui';

export interface JobView {
  id: string;
  kind: string;
  state: 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
  progress: { done: number; total?: number | null; unit?: string; message?: string | null; label?: string } | null;
  result?: unknown;
  error?: string | null;
}

/** Follows a job until it ends; returns its latest view. */
export function useJob(jobId: string | null): JobView | null {
  const [job, setJob] = useState<JobView | null>(null);
  useEffect(() => {
    if (!jobId) return;
    setJob(null);
    return subscribe<JobView>(`/api/jobs/${encodeURIComponent(jobId)}/events`, setJob);
  }, [jobId]);
  return job;
}

export function JobProgress({ job, label }: { job: JobView | null; label: string }) {
  const [err, setErr] = useState<string | null>(null);
  if (!job) return <p className="muted" role="status">Queued…</p>;
  const p = job.progress;
  const running = job.state === 'queued' || job.state === 'active';
  return (
    <div aria-live="polite">
      {running && (
        <>
          <ProgressBar label={`${label}${p?.message ? `: ${p.message}` : ''}`} done={p?.done ?? 0} total={p?.total ?? null} />
          <button
            className="secondary"
            style={{ marginTop: 8 }}
            onClick={() => post(`/api/jobs/${encodeURIComponent(job.id)}/cancel`).catch((e) => setErr(messageOf(e)))}
          >
            Cancel
          </button>
        </>
      )}
      {job.state === 'completed' && <p className="muted">{label}: finished.</p>}
      {job.state === 'cancelled' && <p className="muted">{label}: cancelled.</p>}
      {job.state === 'failed' && <ErrorBox error={job.error ?? `${label} failed.`} />}
      <ErrorBox error={err} />
    </div>
  );
}
