// A loss curve as inline SVG: no chart library, readable at laptop sizes, labelled for screen readers.
export function LossChart({ points, label }: { points: Array<{ step: number; loss: number }>; label: string }) {
  const w = 640;
  const h = 220;
  const pad = 36;
  if (points.length < 2) return <p className="muted">The curve appears after the first steps.</p>;
  const xs = points.map((p) => p.step);
  const ys = points.map((p) => p.loss);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  const sx = (x: number) => pad + ((w - 2 * pad) * (x - x0)) / Math.max(1e-9, x1 - x0);
  const sy = (y: number) => h - pad - ((h - 2 * pad) * (y - y0)) / Math.max(1e-9, y1 - y0);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.step).toFixed(1)},${sy(p.loss).toFixed(1)}`).join(' ');
  const last = points[points.length - 1]!;
  return (
    <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${label}: from ${ys[0]!.toFixed(4)} at step ${x0} to ${last.loss.toFixed(4)} at step ${last.step}`} style={{ width: '100%', maxWidth: w, background: 'var(--panel)', borderRadius: 8 }}>
      <line x1={pad} y1={h - pad} x2={w - pad} y2={h - pad} stroke="var(--line)" />
      <line x1={pad} y1={pad} x2={pad} y2={h - pad} stroke="var(--line)" />
      <text x={pad} y={h - 10} fill="var(--muted)" fontSize="12">
        step {x0}
      </text>
      <text x={w - pad} y={h - 10} fill="var(--muted)" fontSize="12" textAnchor="end">
        step {x1}
      </text>
      <text x={4} y={pad} fill="var(--muted)" fontSize="12">
        {y1.toFixed(3)}
      </text>
      <text x={4} y={h - pad} fill="var(--muted)" fontSize="12">
        {y0.toFixed(3)}
      </text>
      <path d={d} fill="none" stroke="var(--accent)" strokeWidth="2" />
    </svg>
  );
}
