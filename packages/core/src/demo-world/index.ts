// The demo world and its films, pure: world definition, plans from a seed, frame and audio
// rendering, and the screenplay, subtitles, cast list, cue sheet and ground truth of each film.
export * from './world.js';
export * from './plan.js';
export * from './render.js';
export * from './world-document.js';
export * from './audio.js';
export * from './groundtruth.js';
export * from './screenplay.js';
export * from './subtitles.js';
export * from './credits.js';
export { DEMO_TITLES, type DemoTitle } from './people.js';
