// Single-pass shot analysis over a stream of decoded frames: features -> boundary decision -> shots
// with their measures. Pure: the caller decodes (ffmpeg adapter) and pushes frames with their
// presentation times. Holds only the frames whose boundaries are not yet final (BOUNDARY_DELAY).
import type { AnalysedShot, TransitionKind } from '../domain/library.js';
import { ShotBoundaryDetector, type Boundary, type BoundaryParams } from './boundaries.js';
import { FrameFeatureExtractor, type AnalysisFrame, type FrameFeatures } from './features.js';
import { perceptualHash } from './phash.js';
import { FrameSignatures } from './signature.js';

interface Held {
  features: FrameFeatures;
  y: Uint8Array;
  time: number;
}

interface OpenShot {
  startFrame: number;
  start: number;
  transitionIn: TransitionKind;
  transitionFrames: number;
  /** First frame after the incoming transition: keyframes are chosen from here on. */
  settledFrom: number;
  frames: number;
  lumaSum: number;
  sharpSum: number;
  motionSum: number;
  motionFrames: number;
  blackFrames: number;
  /** Summed Y of each row and of each column over the sampled frames (whole numbers: exact). */
  rowLuma: Float64Array;
  colLuma: Float64Array;
  /** Keyframe candidates: every `keyStep`-th frame after the transition, thinned to at most KEY_SAMPLES. */
  keys: KeyCandidate[];
  keyStep: number;
}

interface KeyCandidate {
  frame: number;
  time: number;
  quality: number;
  y: Uint8Array;
}

const KEY_SAMPLES = 32;

export function isBlackFrame(f: Pick<FrameFeatures, 'meanLuma' | 'brightFraction'>): boolean {
  return f.meanLuma < 40 && f.brightFraction < 0.03;
}

/** Top and bottom (or left and right) bands darker than black level while the middle is not. */
export function hasBars(profile: Float64Array): boolean {
  const n = profile.length;
  const band = Math.max(1, Math.floor(n * 0.06));
  const dark = (i: number) => profile[i]! < 28;
  let lead = 0;
  while (lead < n && dark(lead)) lead++;
  let trail = 0;
  while (trail < n && dark(n - 1 - trail)) trail++;
  if (lead < band || trail < band || lead + trail >= n * 0.8) return false;
  let mid = 0;
  for (let i = lead; i < n - trail; i++) mid += profile[i]!;
  return mid / (n - lead - trail) > 40;
}

export class ShotAnalyser {
  private readonly extractor: FrameFeatureExtractor;
  private readonly detector: ShotBoundaryDetector;
  private readonly held: Held[] = [];
  private readonly boundaries: Boundary[] = [];
  private shot: OpenShot | null = null;
  private readonly shots: AnalysedShot[] = [];
  private lastTime = 0;
  private lastDuration = 0;
  private firstTime: number | null = null;
  /** Copies of Y planes no longer held or kept as keyframe candidates, for reuse: none allocated per frame once warm. */
  private readonly spareY: Uint8Array[] = [];
  /** Every frame's signature, for telling the same footage from the same set (duplicates.ts), when kept. */
  private readonly signatures: FrameSignatures | null;

  constructor(
    readonly width: number,
    readonly height: number,
    /** Nominal frame duration in seconds, used for the last frame's end. */
    private readonly frameDuration: number,
    params: Partial<BoundaryParams> = {},
    keepSignatures = false,
  ) {
    this.extractor = new FrameFeatureExtractor(width, height);
    this.detector = new ShotBoundaryDetector(params);
    this.signatures = keepSignatures ? new FrameSignatures(this.extractor.gridCols, this.extractor.gridRows) : null;
  }

  get framesSeen(): number {
    return this.extractor.frameCount;
  }

  /** Adds the next frame in presentation order; `time` is its presentation time in seconds. */
  push(frame: AnalysisFrame, time: number): void {
    if (this.firstTime === null) this.firstTime = time;
    const features = this.extractor.push(frame);
    this.signatures?.push(features.blocks);
    // The frame planes may be views into a reused buffer: keep our own copy of Y while held.
    const y = this.spareY.pop() ?? new Uint8Array(frame.y.length);
    y.set(frame.y);
    this.held.push({ features, y, time: time - this.firstTime });
    this.boundaries.push(...this.detector.push(features));
    this.commitBefore(this.detector.finalBefore);
  }

  /** Every frame's signature so far, in frame order (signature.ts): `FRAME_SIG_BYTES` a frame; empty when not kept. */
  frameSignatures(): Uint8Array {
    return this.signatures?.bytes() ?? new Uint8Array(0);
  }

  /** Ends the stream and returns every shot. */
  finish(): AnalysedShot[] {
    this.boundaries.push(...this.detector.finish());
    this.commitBefore(Number.POSITIVE_INFINITY);
    this.closeShot(this.lastTime + (this.lastDuration || this.frameDuration));
    return this.shots;
  }

  private commitBefore(limit: number): void {
    while (this.held.length && this.held[0]!.features.index < limit) this.commit(this.held.shift()!);
  }

  private commit(h: Held): void {
    const f = h.features;
    while (this.boundaries.length && this.boundaries[0]!.frame < f.index) this.boundaries.shift(); // cannot happen: boundaries are final before their frame is committed
    const b = this.boundaries[0]?.frame === f.index ? this.boundaries.shift()! : null;
    if (!this.shot || b) {
      if (this.shot) this.closeShot(h.time);
      this.shot = {
        startFrame: f.index,
        start: h.time,
        transitionIn: b ? b.kind : 'none',
        transitionFrames: b && b.kind !== 'cut' ? b.end - b.frame + 1 : 0,
        settledFrom: b ? b.end : f.index,
        frames: 0,
        lumaSum: 0,
        sharpSum: 0,
        motionSum: 0,
        motionFrames: 0,
        blackFrames: 0,
        rowLuma: new Float64Array(this.height),
        colLuma: new Float64Array(this.width),
        keys: [],
        keyStep: 1,
      };
    }
    const s = this.shot;
    s.frames++;
    s.lumaSum += f.meanLuma;
    s.sharpSum += f.sharpness;
    if (f.index > s.startFrame) {
      s.motionSum += f.motion;
      s.motionFrames++;
    }
    const black = isBlackFrame(f);
    if (black) s.blackFrames++;
    // Row and column luma profiles for letterbox/pillarbox bars (every 4th frame is plenty).
    if ((f.index - s.startFrame) % 4 === 0) {
      const w = this.width;
      const { colLuma, rowLuma } = s;
      for (let y = 0; y < this.height; y++) {
        let r = 0;
        for (let x = 0, i = y * w; x < w; x++, i++) {
          const p = h.y[i]!;
          r += p;
          colLuma[x]! += p;
        }
        rowLuma[y]! += r;
      }
    }
    // Keyframe candidates, evenly spaced whatever the shot's length (bounded memory).
    const settled = f.index >= s.settledFrom;
    let kept = false;
    if (settled && (f.index - s.settledFrom) % s.keyStep === 0) {
      s.keys.push({ frame: f.index, time: h.time, quality: black ? 0 : f.sharpness / (1 + f.motion), y: h.y });
      kept = true;
      if (s.keys.length > KEY_SAMPLES) {
        const step = 2 * s.keyStep;
        for (const k of s.keys) if ((k.frame - s.settledFrom) % step !== 0) this.spareY.push(k.y);
        s.keys = s.keys.filter((k) => (k.frame - s.settledFrom) % step === 0);
        s.keyStep = step;
      }
    }
    if (!s.keys.length && f.index === s.startFrame) {
      s.keys.push({ frame: f.index, time: h.time, quality: 0, y: h.y });
      kept = true;
    }
    if (!kept) this.spareY.push(h.y);
    this.lastDuration = h.time - this.lastTime > 0 ? h.time - this.lastTime : this.lastDuration;
    this.lastTime = h.time;
  }

  private closeShot(end: number): void {
    const s = this.shot;
    if (!s) return;
    this.shot = null;
    const sampled = Math.ceil(s.frames / 4);
    const rows = s.rowLuma.map((v) => v / (sampled * this.width));
    const cols = s.colLuma.map((v) => v / (sampled * this.height));
    // Keyframe: near the middle of the settled part, the sharpest and stillest of the closest few
    // candidates (not a flash, not a black frame, not a frame from the transition).
    const last = s.startFrame + s.frames - 1;
    const settledKeys = s.keys.filter((k) => k.frame <= last);
    const mid = (Math.min(s.settledFrom, last) + last) / 2;
    const nearest = [...settledKeys].sort((a, b) => Math.abs(a.frame - mid) - Math.abs(b.frame - mid)).slice(0, 5);
    const key = nearest.sort((a, b) => b.quality - a.quality)[0] ?? s.keys[0]!;
    const round3 = (x: number) => Math.round(x * 1000) / 1000;
    this.shots.push({
      index: this.shots.length,
      startFrame: s.startFrame,
      endFrame: s.startFrame + s.frames - 1,
      start: round3(s.start),
      end: round3(end),
      transitionIn: s.transitionIn,
      transitionFrames: s.transitionFrames,
      keyframe: key.frame,
      keyframeTime: round3(key.time),
      meanLuma: round3(s.lumaSum / s.frames),
      sharpness: round3(s.sharpSum / s.frames),
      motion: round3(s.motionFrames ? s.motionSum / s.motionFrames : 0),
      isBlack: s.blackFrames >= 0.9 * s.frames,
      letterbox: hasBars(rows) || hasBars(cols),
      phash: perceptualHash(key.y, this.width, this.height),
    });
    for (const k of s.keys) this.spareY.push(k.y);
  }
}
