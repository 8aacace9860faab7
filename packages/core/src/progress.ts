// One progress vocabulary for every long task. The CLI renders it as bars or periodic lines, the
// server forwards it to browsers over server-sent events, job workers store it.

export interface ProgressEvent {
  /** Stable id of the task within one run, e.g. "ingest" or "ingest:film.mp4". */
  task: string;
  /** Human label, e.g. a file name. */
  label: string;
  /** Units done so far. */
  done: number;
  /** Units in all, when known. */
  total?: number;
  /** What a unit is: "frames", "files", "steps", "shots". */
  unit: string;
  /** Short status text for the current moment ("analysing", "writing proxies", "loss 0.123"). */
  message?: string;
  /** True on the last event of the task. */
  finished?: boolean;
}

export type ProgressSink = (event: ProgressEvent) => void;

export const silentProgress: ProgressSink = () => {};
