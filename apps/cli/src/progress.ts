// Renders ProgressEvents: bars on a terminal, a plain line every few seconds otherwise
// (CI logs, pipes), nothing with --json so stdout stays machine-readable.
import cliProgress from 'cli-progress';
import type { ProgressEvent, ProgressSink } from '@backlot/core';

export interface ProgressRenderer {
  sink: ProgressSink;
  stop(): void;
}

export function createProgress(opts: { json?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressRenderer {
  const stream = opts.stream ?? process.stderr;
  if (opts.json && !process.env.BACKLOT_PROGRESS) return { sink: () => {}, stop: () => {} };
  if (stream.isTTY) return barRenderer(stream);
  return lineRenderer(stream, Number(process.env.BACKLOT_PROGRESS_INTERVAL_MS ?? 5000));
}

function fmt(e: ProgressEvent): string {
  const pct = e.total ? ` ${((100 * e.done) / e.total).toFixed(0)}%` : '';
  const of = e.total !== undefined ? `/${e.total}` : '';
  return `${e.label}: ${e.done}${of} ${e.unit}${pct}${e.message ? ` — ${e.message}` : ''}`;
}

function lineRenderer(stream: NodeJS.WriteStream, intervalMs: number): ProgressRenderer {
  const last = new Map<string, number>();
  return {
    sink: (e) => {
      const now = Date.now();
      const prev = last.get(e.task);
      if (e.finished || prev === undefined || now - prev >= intervalMs) {
        last.set(e.task, now);
        stream.write(`${new Date(now).toISOString().slice(11, 19)} ${fmt(e)}${e.finished ? ' (done)' : ''}\n`);
      }
    },
    stop: () => {},
  };
}

function barRenderer(stream: NodeJS.WriteStream): ProgressRenderer {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: '{label} |{bar}| {percentage}% {value}/{total} {unit} {message}',
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    sink: (e) => {
      let bar = bars.get(e.task);
      const payload = { label: e.label.slice(0, 28).padEnd(28), unit: e.unit, message: e.message ?? '' };
      if (!bar) {
        bar = multi.create(e.total ?? 0, e.done, payload);
        bars.set(e.task, bar);
      }
      if (e.total !== undefined) bar.setTotal(e.total);
      bar.update(e.done, payload);
      if (e.finished) bar.stop();
    },
    stop: () => multi.stop(),
  };
}
