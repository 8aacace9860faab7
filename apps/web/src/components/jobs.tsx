// Live progress of a server job over server-sent events, with cancel.
import { useEffect, useState } from 'react';
import { post, subscribe } from '../api';
import { ErrorBox, ProgressBar, messageOf } from './ui';

export interface JobProgressLine {
  task: string;
  label: string;
  done: number;
  total?: number;
  unit: string;
  message?: string;
  finished?: boolean;
}

export interface JobView {
  id: string;
  kind: string;
  state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  input?: unknown;
  progress: JobProgressLine[];
  result?: unknown;
  error: { code: string; message: string } | null;
}

export const jobEnded = (j: JobView) => j.state === 'completed' || j.state === 'failed' || j.state === 'cancelled';

/** Follows a job until it ends; returns its latest view. */
export function useJob(jobId: string | null): JobView | null {
  const [job, setJob] = useState<JobView | null>(null);
  useEffect(() => {
    if (!jobId) return;
    setJob(null);
    return subscribe<JobView>(`/api/jobs/${encodeURIComponent(jobId)}/events`, 'job', setJob, jobEnded);
  }, [jobId]);
  return job;
}

export function JobProgress({ job, label }: { job: JobView | null; label: string }) {
  const [err, setErr] = useState<string | null>(null);
  if (!job) return <p className="muted" role="status">Queued…</p>;
  const running = !jobEnded(job);
  return (
    <div aria-live="polite">
      {running && (
        <>
          {job.progress.length === 0 && <ProgressBar label={`${label}: waiting to start`} done={0} total={null} />}
          {job.progress.map((p) => (
            <ProgressBar key={p.task} label={`${p.label}${p.message ? `: ${p.message}` : ''}`} done={p.done} total={p.total ?? null} />
          ))}
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
      {job.state === 'failed' && <ErrorBox error={job.error?.message ?? `${label} failed.`} />}
      <ErrorBox error={err} />
    </div>
  );
}
