// Time schedules for rectified-flow sampling. Convention (docs/model-format.md): x_t = (1-t)·x0 + t·noise,
// t = 1 is pure noise, t = 0 is data, and the model predicts v = noise - x0 = dx/dt.

export interface ScheduleOptions {
  /** Where sampling starts: 1 for text-to-video, the restyle strength to keep some of an input clip. */
  start?: number;
  /**
   * Timestep shift (as in SD3 / Flux): s > 1 spends more steps near noise, where structure is decided.
   * t' = s·t / (1 + (s-1)·t); 1 leaves the schedule uniform.
   */
  shift?: number;
}

/** steps+1 decreasing times from `start` to exactly 0. */
export function flowSchedule(steps: number, opts: ScheduleOptions = {}): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const start = opts.start ?? 1;
  const shift = opts.shift ?? 1;
  if (!(start > 0 && start <= 1)) throw new RangeError(`start must be in (0, 1], got ${start}`);
  if (!(shift > 0)) throw new RangeError(`shift must be positive, got ${shift}`);
  const ts = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) {
    const u = 1 - i / steps;
    // Shift the unit grid, then scale so the first time is exactly `start` (the restyle strength).
    ts[i] = (start * shift * u) / (1 + (shift - 1) * u);
  }
  ts[steps] = 0;
  return ts;
}
