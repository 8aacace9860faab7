// Each frame's picture in a few bytes, kept for the whole file during the one decode: what tells a
// trailer excerpt or a re-encode of a shot (the same frames, in the same order) from another shot of
// the same set (duplicates.ts, sameFootage).

/**
 * The signature's planes, in this order in each frame's bytes: Y means over a 16 × 8 grid of the frame,
 * then U's and V's over 8 × 4, one byte a cell. Chroma too, because a small object of the backdrop's
 * brightness (a red square on grey) hardly moves a luma mean.
 */
export const FRAME_SIG_PLANES = [
  { cols: 16, rows: 8 },
  { cols: 8, rows: 4 },
  { cols: 8, rows: 4 },
] as const;
export const FRAME_SIG_BYTES = FRAME_SIG_PLANES.reduce((n, p) => n + p.cols * p.rows, 0);

/** Frames in each of FrameSignatures' fixed-size chunks (a 2-hour film at 24 fps: 43 chunks, 33 MB). */
const CHUNK_FRAMES = 4096;

/**
 * A growing run of frame signatures in frame order: each frame's block means of the analysis grid
 * (FrameFeatures.blocks: `cols` × `rows` blocks of Y, then of U, then of V, row by row) averaged into the
 * signature's cells, rounded, `FRAME_SIG_BYTES` a frame. Kept in fixed-size chunks, never copied as it grows.
 */
export class FrameSignatures {
  private readonly chunks: Uint8Array[] = [];
  private frames = 0;
  /** For each analysis block of each plane, the byte of the frame's signature its mean goes to. */
  private readonly cellOf: Uint16Array;
  private readonly counts = new Float64Array(FRAME_SIG_BYTES);
  private readonly sums = new Float64Array(FRAME_SIG_BYTES);

  constructor(cols: number, rows: number) {
    const blocks = cols * rows;
    this.cellOf = new Uint16Array(3 * blocks);
    let base = 0;
    for (const [p, plane] of FRAME_SIG_PLANES.entries()) {
      for (let r = 0; r < rows; r++) {
        const cy = Math.min(plane.rows - 1, Math.floor((r * plane.rows) / rows));
        for (let c = 0; c < cols; c++) {
          const cell = base + cy * plane.cols + Math.min(plane.cols - 1, Math.floor((c * plane.cols) / cols));
          this.cellOf[p * blocks + r * cols + c] = cell;
          this.counts[cell]!++;
        }
      }
      base += plane.cols * plane.rows;
    }
  }

  push(blocks: ArrayLike<number>): void {
    const { sums, counts, cellOf } = this;
    sums.fill(0);
    for (let i = 0; i < cellOf.length; i++) sums[cellOf[i]!]! += blocks[i]!;
    const slot = this.frames % CHUNK_FRAMES;
    if (slot === 0) this.chunks.push(new Uint8Array(CHUNK_FRAMES * FRAME_SIG_BYTES));
    const chunk = this.chunks.at(-1)!;
    const at = slot * FRAME_SIG_BYTES;
    // A grid with fewer rows than a plane's leaves cells empty: they read 0 in every copy alike.
    for (let k = 0; k < FRAME_SIG_BYTES; k++) chunk[at + k] = counts[k] ? Math.max(0, Math.min(255, Math.round(sums[k]! / counts[k]!))) : 0;
    this.frames++;
  }

  /** Frame `i`'s signature is bytes [i × FRAME_SIG_BYTES, (i + 1) × FRAME_SIG_BYTES). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.frames * FRAME_SIG_BYTES);
    for (const [i, chunk] of this.chunks.entries()) {
      const start = i * CHUNK_FRAMES * FRAME_SIG_BYTES;
      out.set(chunk.subarray(0, Math.min(chunk.length, out.length - start)), start);
    }
    return out;
  }
}
