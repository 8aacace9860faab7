// Renders demo film frames as RGB24 pixel buffers (row-major, 3 bytes per pixel), exactly as the
// plan says: backdrop (scrolled or zoomed by the camera), the object on its path, flashes, and the
// transitions between shots. Typed arrays and per-row/column index tables, no per-pixel closures:
// the demo renders on 2 shared cores.
import { DemoRandom } from './random.js';
import { DEMO_HEIGHT, DEMO_WIDTH, colourOf, type BackgroundName, type ShapeName } from './world.js';
import type { DemoFilmPlan, DemoShotPlan } from './plan.js';

/** Backdrops are periodic textures this wide, so a pan can scroll forever without a seam. */
const TEXTURE_WIDTH = 1024;

/** What one film frame is made of. */
export type DemoFrameRecipe =
  | { kind: 'shot'; shot: number; local: number }
  | { kind: 'fade'; shot: number; local: number; level: number }
  | { kind: 'dissolve'; from: number; fromLocal: number; to: number; toLocal: number; weight: number }
  | { kind: 'wipe'; from: number; fromLocal: number; to: number; toLocal: number; edge: number; fromLeft: boolean }
  | { kind: 'black' };

/** Which shots (and which of their local frames) make up film frame `f`, and how they mix. */
export function frameRecipe(film: DemoFilmPlan, f: number): DemoFrameRecipe {
  const shots = film.shots;
  // The last shot whose pictures start at or before f (shots are ordered by filmStart).
  let lo = 0;
  let hi = shots.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (shots[mid]!.filmStart <= f) lo = mid;
    else hi = mid - 1;
  }
  const i = lo;
  const shot = shots[i]!;
  const local = f - shot.filmStart;
  if (local < 0 || local >= shot.frames) return { kind: 'black' }; // between a fade-out and a fade-in
  const t = shot.transitionIn;
  if (local < shot.head) {
    const prev = shots[i - 1]!;
    const fromLocal = f - prev.filmStart;
    if (t.kind === 'dissolve') return { kind: 'dissolve', from: i - 1, fromLocal, to: i, toLocal: local, weight: (local + 1) / (t.frames + 1) };
    if (t.kind === 'wipe') {
      return { kind: 'wipe', from: i - 1, fromLocal, to: i, toLocal: local, edge: Math.round((film.width * (local + 1)) / (t.frames + 1)), fromLeft: t.from === 'left' };
    }
    if (t.kind === 'fade') return { kind: 'fade', shot: i, local, level: (local + 1) / (t.in + 1) };
  }
  const next = shots[i + 1];
  const tailStart = shot.frames - shot.tail;
  if (next && local >= tailStart && next.transitionIn.kind === 'fade') {
    return { kind: 'fade', shot: i, local, level: 1 - (local - tailStart + 1) / (next.transitionIn.out + 1) };
  }
  return { kind: 'shot', shot: i, local };
}

export interface CameraState {
  /** Backdrop x offset in texture pixels. */
  pan: number;
  zoom: number;
}

export function cameraAt(shot: DemoShotPlan, local: number): CameraState {
  const c = shot.camera;
  const p = shot.frames > 1 ? local / (shot.frames - 1) : 0;
  if (c.kind === 'pan') return { pan: c.offset + c.speed * local, zoom: 1 };
  if (c.kind === 'zoom') return { pan: c.offset, zoom: c.from + (c.to - c.from) * p };
  return { pan: c.offset, zoom: 1 };
}

/** Where the object is in a shot's local frame: centre in screen pixels and size (side of its box). */
export function objectAt(shot: DemoShotPlan, local: number): { cx: number; cy: number; size: number } {
  const p = shot.frames > 1 ? local / (shot.frames - 1) : 0;
  const { from, to, size } = shot.object;
  return { cx: from[0] + (to[0] - from[0]) * p, cy: from[1] + (to[1] - from[1]) * p, size: size * cameraAt(shot, local).zoom };
}

// ---- backdrops -------------------------------------------------------------------------------

const textures = new Map<BackgroundName, Uint8Array>();

function backdrop(name: BackgroundName): Uint8Array {
  let tex = textures.get(name);
  if (!tex) {
    tex = paintBackdrop(name);
    textures.set(name, tex);
  }
  return tex;
}

function paintBackdrop(name: BackgroundName): Uint8Array {
  const W = TEXTURE_WIDTH;
  const H = DEMO_HEIGHT;
  const tex = new Uint8Array(W * H * 3);
  const rng = new DemoRandom(0xbac0 + name.length * 31 + name.charCodeAt(0));
  const gradient = (top: readonly number[], bottom: readonly number[]) => {
    for (let y = 0; y < H; y++) {
      const a = y / (H - 1);
      const r = top[0]! + (bottom[0]! - top[0]!) * a;
      const g = top[1]! + (bottom[1]! - top[1]!) * a;
      const b = top[2]! + (bottom[2]! - top[2]!) * a;
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 3;
        tex[o] = r;
        tex[o + 1] = g;
        tex[o + 2] = b;
      }
    }
  };
  // Rectangles wrap around the texture's width so pans never show a seam.
  const rect = (x0: number, y0: number, w: number, h: number, rgb: readonly number[], alpha = 1) => {
    for (let y = Math.max(0, y0); y < Math.min(H, y0 + h); y++) {
      for (let dx = 0; dx < w; dx++) {
        const x = (((x0 + dx) % W) + W) % W;
        const o = (y * W + x) * 3;
        tex[o] = tex[o]! + (rgb[0]! - tex[o]!) * alpha;
        tex[o + 1] = tex[o + 1]! + (rgb[1]! - tex[o + 1]!) * alpha;
        tex[o + 2] = tex[o + 2]! + (rgb[2]! - tex[o + 2]!) * alpha;
      }
    }
  };
  const ellipse = (cx: number, cy: number, rx: number, ry: number, rgb: readonly number[]) => {
    for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(H - 1, Math.ceil(cy + ry)); y++) {
      for (let dx = -Math.ceil(rx); dx <= Math.ceil(rx); dx++) {
        const d = (dx / rx) ** 2 + ((y - cy) / ry) ** 2;
        if (d > 1) continue;
        const alpha = Math.min(1, (1 - d) * 3); // soft edge
        const x = (((Math.round(cx) + dx) % W) + W) % W;
        const o = (y * W + x) * 3;
        for (let k = 0; k < 3; k++) tex[o + k] = tex[o + k]! + (rgb[k]! - tex[o + k]!) * alpha;
      }
    }
  };
  switch (name) {
    case 'day': {
      gradient([140, 176, 216], [206, 224, 240]);
      for (let i = 0; i < 14; i++) {
        const cx = (i * W) / 14 + rng.int(0, 40);
        const cy = rng.int(18, 120);
        for (let k = 0; k < 4; k++) ellipse(cx + k * rng.int(8, 14), cy + rng.int(-5, 5), rng.int(12, 22), rng.int(6, 10), [242, 245, 250]);
      }
      break;
    }
    case 'night': {
      gradient([8, 10, 30], [28, 32, 62]);
      for (let i = 0; i < 320; i++) {
        const v = rng.int(140, 230);
        const s = rng.next() < 0.15 ? 2 : 1;
        rect(rng.int(0, W - 1), rng.int(0, H - 1), s, s, [v, v, v + 10 > 255 ? 255 : v + 10]);
      }
      break;
    }
    case 'forest': {
      gradient([150, 174, 140], [104, 126, 96]);
      // Far trunks first (lighter), then near ones: vertical stripes make every pan visible.
      for (let x = 0; x < W; x += rng.int(14, 30)) rect(x, 0, rng.int(4, 9), H, [100, 110, 92]);
      for (let x = rng.int(0, 20); x < W; x += rng.int(40, 80)) {
        const v = rng.int(46, 66);
        rect(x, 0, rng.int(10, 24), H, [v + 6, v, v - 6]);
      }
      rect(0, H - 22, W, 22, [72, 80, 64]);
      break;
    }
    case 'city': {
      gradient([140, 124, 168], [214, 172, 156]);
      for (let x = 0; x < W; ) {
        const w = rng.int(28, 70);
        const h = rng.int(60, 150);
        const v = rng.int(52, 92);
        rect(x, H - h, w - 2, h, [v, v, v + 8]);
        for (let wy = H - h + 6; wy < H - 8; wy += 10) {
          for (let wx = x + 4; wx < x + w - 8; wx += 8) if (rng.next() < 0.55) rect(wx, wy, 4, 5, [196, 192, 172]);
        }
        x += w;
      }
      break;
    }
  }
  return tex;
}

/**
 * Average colours of a backdrop (whole frame, top third, bottom third) as rendered without an object:
 * what plain image analysis compares against to tell which backdrop a generated clip shows.
 */
export function backdropStats(name: BackgroundName): { meanRgb: number[]; topRgb: number[]; bottomRgb: number[] } {
  const tex = backdrop(name);
  const H = DEMO_HEIGHT;
  const band = (y0: number, y1: number) => {
    const sum = [0, 0, 0];
    for (let i = y0 * TEXTURE_WIDTH * 3; i < y1 * TEXTURE_WIDTH * 3; i += 3) {
      sum[0]! += tex[i]!;
      sum[1]! += tex[i + 1]!;
      sum[2]! += tex[i + 2]!;
    }
    const n = (y1 - y0) * TEXTURE_WIDTH;
    return sum.map((v) => Math.round(v / n));
  };
  return { meanRgb: band(0, H), topRgb: band(0, Math.floor(H / 3)), bottomRgb: band(H - Math.floor(H / 3), H) };
}

// ---- objects ---------------------------------------------------------------------------------

/** A 5-pointed star as a 10-vertex polygon in [-1, 1]², point up. */
const STAR: ReadonlyArray<readonly [number, number]> = Array.from({ length: 10 }, (_, k) => {
  const r = k % 2 === 0 ? 1 : 0.45;
  const a = -Math.PI / 2 + (k * Math.PI) / 5;
  return [r * Math.cos(a), r * Math.sin(a) + 0.1] as const;
});

function insideShape(shape: ShapeName, x: number, y: number): boolean {
  switch (shape) {
    case 'ball':
      return x * x + y * y <= 0.9 * 0.9; // area ≈ the box's, so size alone never tells them apart
    case 'box':
      return Math.abs(x) <= 0.8 && Math.abs(y) <= 0.8;
    case 'star': {
      let inside = false;
      for (let i = 0, j = STAR.length - 1; i < STAR.length; j = i++) {
        const [xi, yi] = STAR[i]!;
        const [xj, yj] = STAR[j]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    }
  }
}

const masks = new Map<string, Uint8Array>();

/** Coverage 0..255 of a shape drawn in a size×size box, anti-aliased by 4×4 supersampling. */
export function shapeMask(shape: ShapeName, size: number): Uint8Array {
  const key = `${shape}:${size}`;
  let mask = masks.get(key);
  if (mask) return mask;
  mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const u = ((x + (sx + 0.5) / 4) / size) * 2 - 1;
          const v = ((y + (sy + 0.5) / 4) / size) * 2 - 1;
          if (insideShape(shape, u, v)) hits++;
        }
      }
      mask[y * size + x] = Math.round((hits * 255) / 16);
    }
  }
  masks.set(key, mask);
  return mask;
}

// ---- the renderer ----------------------------------------------------------------------------

/** Renders one film's frames; keeps its scratch buffers so a whole film allocates almost nothing. */
export class DemoFilmRenderer {
  readonly frameBytes: number;
  private readonly cols: Int32Array;
  private readonly rows: Int32Array;
  private readonly scratchA: Uint8Array;
  private readonly scratchB: Uint8Array;

  constructor(readonly film: DemoFilmPlan) {
    this.frameBytes = film.width * film.height * 3;
    this.cols = new Int32Array(film.width);
    this.rows = new Int32Array(film.height);
    this.scratchA = new Uint8Array(this.frameBytes);
    this.scratchB = new Uint8Array(this.frameBytes);
  }

  /** Film frame `f` (0-based) as RGB24. */
  renderFrame(f: number, out: Uint8Array = new Uint8Array(this.frameBytes)): Uint8Array {
    if (f < 0 || f >= this.film.frames) throw new RangeError(`frame ${f} outside 0..${this.film.frames - 1}`);
    const r = frameRecipe(this.film, f);
    const n = this.frameBytes;
    switch (r.kind) {
      case 'black':
        out.fill(0, 0, n);
        return out;
      case 'shot':
        return this.renderShotFrame(r.shot, r.local, out);
      case 'fade': {
        this.renderShotFrame(r.shot, r.local, out);
        const level = Math.round(r.level * 256);
        for (let i = 0; i < n; i++) out[i] = (out[i]! * level + 128) >> 8;
        return out;
      }
      case 'dissolve': {
        const a = this.renderShotFrame(r.from, r.fromLocal, this.scratchA);
        const b = this.renderShotFrame(r.to, r.toLocal, this.scratchB);
        const w = Math.round(r.weight * 256);
        const v = 256 - w;
        for (let i = 0; i < n; i++) out[i] = (a[i]! * v + b[i]! * w + 128) >> 8;
        return out;
      }
      case 'wipe': {
        const a = this.renderShotFrame(r.from, r.fromLocal, this.scratchA);
        const b = this.renderShotFrame(r.to, r.toLocal, this.scratchB);
        const W = this.film.width;
        // Incoming pictures cover [0, edge) when the wipe comes from the left, [W - edge, W) otherwise.
        const x0 = r.fromLeft ? 0 : W - r.edge;
        const x1 = r.fromLeft ? r.edge : W;
        for (let y = 0; y < this.film.height; y++) {
          const row = y * W * 3;
          out.set(a.subarray(row, row + W * 3), row);
          out.set(b.subarray(row + x0 * 3, row + x1 * 3), row + x0 * 3);
        }
        return out;
      }
    }
  }

  /** One shot's own picture at its local frame, with its flash but without any transition. */
  renderShotFrame(shotIndex: number, local: number, out: Uint8Array = new Uint8Array(this.frameBytes)): Uint8Array {
    const shot = this.film.shots[shotIndex]!;
    const W = this.film.width;
    const H = this.film.height;
    const { pan, zoom } = cameraAt(shot, local);
    const tex = backdrop(shot.combo.background);
    const cols = this.cols;
    const rows = this.rows;
    for (let x = 0; x < W; x++) {
      const u = Math.floor((x - W / 2) / zoom + W / 2 + pan);
      cols[x] = (((u % TEXTURE_WIDTH) + TEXTURE_WIDTH) % TEXTURE_WIDTH) * 3;
    }
    for (let y = 0; y < H; y++) {
      const v = Math.floor((y - H / 2) / zoom + H / 2);
      rows[y] = (v < 0 ? 0 : v >= DEMO_HEIGHT ? DEMO_HEIGHT - 1 : v) * TEXTURE_WIDTH * 3;
    }
    const rowBytes = TEXTURE_WIDTH * 3;
    const first = cols[0]!;
    for (let y = 0; y < H; y++) {
      const src = rows[y]!;
      let o = y * W * 3;
      if (zoom === 1) {
        // Unzoomed rows are contiguous runs of the texture (in two pieces where it wraps): copy them whole.
        const run = Math.min(W * 3, rowBytes - first);
        out.set(tex.subarray(src + first, src + first + run), o);
        if (run < W * 3) out.set(tex.subarray(src, src + W * 3 - run), o + run);
        continue;
      }
      for (let x = 0; x < W; x++, o += 3) {
        const s = src + cols[x]!;
        out[o] = tex[s]!;
        out[o + 1] = tex[s + 1]!;
        out[o + 2] = tex[s + 2]!;
      }
    }

    const { cx, cy, size } = objectAt(shot, local);
    const side = Math.max(1, Math.round(size));
    const mask = shapeMask(shot.combo.shape, side);
    const [cr, cg, cb] = colourOf(shot.combo.colour).rgb;
    const left = Math.round(cx - side / 2);
    const top = Math.round(cy - side / 2);
    for (let my = 0; my < side; my++) {
      const y = top + my;
      if (y < 0 || y >= H) continue;
      for (let mx = 0; mx < side; mx++) {
        const x = left + mx;
        if (x < 0 || x >= W) continue;
        const m = mask[my * side + mx]!;
        if (m === 0) continue;
        const o = (y * W + x) * 3;
        out[o] = out[o]! + (((cr - out[o]!) * m + 127) >> 8);
        out[o + 1] = out[o + 1]! + (((cg - out[o + 1]!) * m + 127) >> 8);
        out[o + 2] = out[o + 2]! + (((cb - out[o + 2]!) * m + 127) >> 8);
        if (m === 255) {
          out[o] = cr;
          out[o + 1] = cg;
          out[o + 2] = cb;
        }
      }
    }

    const flash = shot.flash;
    if (flash && local >= flash.start && local < flash.start + flash.levels.length) {
      const level = Math.round(flash.levels[local - flash.start]! * 256);
      const n = this.frameBytes;
      for (let i = 0; i < n; i++) out[i] = out[i]! + (((255 - out[i]!) * level + 128) >> 8);
    }
    return out;
  }
}

/** Convenience for one-off frames (tests, thumbnails); a whole film should reuse one DemoFilmRenderer. */
export function renderDemoFrame(film: DemoFilmPlan, frameIndex: number): Uint8Array {
  return new DemoFilmRenderer(film).renderFrame(frameIndex);
}
