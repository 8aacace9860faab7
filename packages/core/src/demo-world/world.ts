// The demo world: the few colours, shapes, directions and backgrounds every demo shot is made of,
// the combinations no demo film ever shows (held out for evaluation), and how a shot is described.
// Small and saturated on purpose: a tiny pixel-space model can learn it, plain image analysis can measure it.

export const DEMO_WIDTH = 320;
export const DEMO_HEIGHT = 180;
export const DEMO_FPS = 24;

export type Rgb = readonly [number, number, number];

export interface WorldColour {
  name: 'red' | 'orange' | 'yellow' | 'green' | 'blue' | 'purple';
  rgb: Rgb;
  /** Hue in degrees (HSV), for analysis that classifies colours by hue. */
  hue: number;
}

export interface WorldBackground {
  name: 'day' | 'night' | 'forest' | 'city';
  /** Words that close a caption: "a red ball moving left at night". */
  phrase: string;
  /** Fountain scene heading: the location and time of day the screenplay names. */
  heading: string;
  /** What the backdrop looks like, for people reading world.json. */
  description: string;
}

export const COLOUR_NAMES = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'] as const;
export const SHAPE_NAMES = ['ball', 'box', 'star'] as const;
export const DIRECTION_NAMES = ['left', 'right', 'up', 'down'] as const;
export const BACKGROUND_NAMES = ['day', 'night', 'forest', 'city'] as const;

export type ColourName = (typeof COLOUR_NAMES)[number];
export type ShapeName = (typeof SHAPE_NAMES)[number];
export type DirectionName = (typeof DIRECTION_NAMES)[number];
export type BackgroundName = (typeof BACKGROUND_NAMES)[number];

/** What one shot shows: one object of one colour and shape moving one way over one backdrop. */
export interface Combo {
  colour: ColourName;
  shape: ShapeName;
  direction: DirectionName;
  background: BackgroundName;
}

function hueOf([r, g, b]: Rgb): number {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max === min) return 0;
  const d = max - min;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return Math.round(((h * 60) + 360) % 360);
}

// Saturated, bright and at least ~30° of hue apart; every backdrop is desaturated or dark, so
// "the most saturated pixels" is the object in every frame.
const COLOUR_RGB: Record<ColourName, Rgb> = {
  red: [222, 36, 36],
  orange: [250, 128, 16],
  yellow: [240, 228, 30],
  green: [36, 196, 64],
  blue: [40, 96, 240],
  purple: [158, 58, 216],
};

export const WORLD = {
  width: DEMO_WIDTH,
  height: DEMO_HEIGHT,
  fps: DEMO_FPS,
  colours: COLOUR_NAMES.map((name): WorldColour => ({ name, rgb: COLOUR_RGB[name], hue: hueOf(COLOUR_RGB[name]) })),
  shapes: SHAPE_NAMES,
  directions: DIRECTION_NAMES,
  backgrounds: [
    { name: 'day', phrase: 'by day', heading: 'EXT. DAY SKY - DAY', description: 'pale blue sky gradient with drifting white clouds' },
    { name: 'night', phrase: 'at night', heading: 'EXT. NIGHT SKY - NIGHT', description: 'dark navy sky with small white stars' },
    { name: 'forest', phrase: 'in the forest', heading: 'EXT. FOREST - MORNING', description: 'grey-green forest with dark vertical tree trunks' },
    { name: 'city', phrase: 'in the city', heading: 'EXT. CITY STREET - DUSK', description: 'grey dusk sky over grey buildings with lit windows' },
  ] satisfies WorldBackground[],
  /** Objects stay inside this centred square (x from (W-H)/2 to (W+H)/2) because training centre-crops a square. */
  safeRegion: { x0: (DEMO_WIDTH - DEMO_HEIGHT) / 2, x1: (DEMO_WIDTH + DEMO_HEIGHT) / 2, y0: 0, y1: DEMO_HEIGHT },
} as const;

export function colourOf(name: ColourName): WorldColour {
  return WORLD.colours.find((c) => c.name === name)!;
}

export function backgroundOf(name: BackgroundName): WorldBackground {
  return WORLD.backgrounds.find((b) => b.name === name)!;
}

/**
 * Combinations that no demo film ever renders: 29 of 288 (about 10 %), picked once by a seeded
 * greedy pass that kept every colour ≤ 5, every shape ≤ 10, every direction and backdrop ≤ 8 times
 * and every pair of values ≤ 3 times, so each single value and each pair is still seen in training.
 * Frozen as a literal so it never changes with code.
 */
export const HELD_OUT: readonly Combo[] = (
  [
    ['red', 'ball', 'right', 'city'],
    ['red', 'ball', 'up', 'forest'],
    ['red', 'ball', 'down', 'forest'],
    ['red', 'star', 'right', 'city'],
    ['red', 'star', 'down', 'city'],
    ['orange', 'ball', 'left', 'night'],
    ['orange', 'ball', 'down', 'night'],
    ['orange', 'box', 'left', 'night'],
    ['orange', 'star', 'left', 'day'],
    ['orange', 'star', 'right', 'day'],
    ['yellow', 'ball', 'right', 'city'],
    ['yellow', 'ball', 'up', 'night'],
    ['yellow', 'box', 'down', 'day'],
    ['yellow', 'box', 'down', 'forest'],
    ['green', 'ball', 'left', 'city'],
    ['green', 'box', 'left', 'city'],
    ['green', 'box', 'up', 'city'],
    ['green', 'star', 'right', 'night'],
    ['green', 'star', 'up', 'forest'],
    ['blue', 'box', 'left', 'night'],
    ['blue', 'box', 'right', 'day'],
    ['blue', 'box', 'right', 'forest'],
    ['blue', 'star', 'up', 'day'],
    ['blue', 'star', 'down', 'night'],
    ['purple', 'ball', 'down', 'forest'],
    ['purple', 'box', 'right', 'day'],
    ['purple', 'box', 'down', 'night'],
    ['purple', 'star', 'left', 'city'],
    ['purple', 'star', 'up', 'forest'],
  ] as const
).map(([colour, shape, direction, background]) => ({ colour, shape, direction, background }));

export function comboKey(c: Combo): string {
  return `${c.colour}/${c.shape}/${c.direction}/${c.background}`;
}

const HELD_OUT_KEYS = new Set(HELD_OUT.map(comboKey));

export function isHeldOut(c: Combo): boolean {
  return HELD_OUT_KEYS.has(comboKey(c));
}

/** Every combination, in a fixed order (colour, shape, direction, background). */
export function allCombos(): Combo[] {
  const out: Combo[] = [];
  for (const colour of COLOUR_NAMES)
    for (const shape of SHAPE_NAMES)
      for (const direction of DIRECTION_NAMES) for (const background of BACKGROUND_NAMES) out.push({ colour, shape, direction, background });
  return out;
}

/** The combinations demo films may show. */
export function trainingCombos(): Combo[] {
  return allCombos().filter((c) => !isHeldOut(c));
}

function article(colour: ColourName): 'a' | 'an' {
  return colour === 'orange' ? 'an' : 'a';
}

/** "a red ball moving left at night", "an orange star moving up by day": the prompt phrasing eval uses and captions follow. */
export function captionFor(c: Combo): string {
  return `${article(c.colour)} ${c.colour} ${c.shape} moving ${c.direction} ${backgroundOf(c.background).phrase}`;
}

/** The screenplay's action line for a shot: "A red ball moving left." */
export function actionLineFor(c: Combo): string {
  const a = article(c.colour);
  return `${a.charAt(0).toUpperCase()}${a.slice(1)} ${c.colour} ${c.shape} moving ${c.direction}.`;
}
