// The studio's library as Backlot records it: titles, the media files that carry them, and shots.

export const TRANSITION_KINDS = ['none', 'cut', 'dissolve', 'fade', 'wipe'] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

/** One shot as `backlot shots --json` prints it. Frames are 0-based, presentation order, end inclusive. */
export interface ShotSpan {
  index: number;
  startFrame: number;
  endFrame: number;
  /** Seconds. */
  start: number;
  end: number;
  /** How this shot begins. For a gradual transition startFrame is the transition's first frame. */
  transitionIn: TransitionKind;
}

/** What single-pass analysis measures for each shot. */
export interface ShotMeasures {
  /** Frame used for the keyframe thumbnail (0-based, presentation order). */
  keyframe: number;
  /** Presentation time of the keyframe in seconds from the first frame (use it to extract the thumbnail). */
  keyframeTime: number;
  /** Length in frames of the incoming gradual transition (startFrame up to its first full frame); 0 for a cut or the first shot. */
  transitionFrames: number;
  /** Mean luma 0..255 over the shot. */
  meanLuma: number;
  /** Mean gradient energy (Laplacian variance) at analysis resolution. */
  sharpness: number;
  /** Mean absolute frame-to-frame difference, 0..255. */
  motion: number;
  /** Shot is (almost) entirely black frames. */
  isBlack: boolean;
  /** Letterbox / pillarbox bars detected. */
  letterbox: boolean;
  /** 64-bit perceptual hash of the keyframe, 16 hex characters. */
  phash: string;
}

export type AnalysedShot = ShotSpan & ShotMeasures;

export interface ShotAnalysis {
  fps: number;
  frameCount: number;
  width: number;
  height: number;
  shots: AnalysedShot[];
  /** Every analysed frame's signature in frame order (shots/signature.ts), where the analysis kept them. */
  frameSignatures?: Uint8Array;
}

export interface MediaProbe {
  path: string;
  container: string;
  durationSeconds: number;
  sizeBytes: number;
  video: {
    codec: string;
    width: number;
    height: number;
    /** Exact rate as a fraction, e.g. 24000/1001. */
    fpsNum: number;
    fpsDen: number;
    variableFrameRate: boolean;
    frameCount: number | null;
    rotation: number;
    pixelFormat: string;
    sampleAspectRatio: string | null;
  };
  audio: Array<{ index: number; codec: string; channels: number; sampleRate: number; language: string | null }>;
  tags: Record<string, string>;
}

export interface Title {
  id: string;
  name: string;
  kind: 'film' | 'episode' | 'other';
  year: number | null;
}
