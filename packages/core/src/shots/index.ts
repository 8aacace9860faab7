// Shot analysis, pure: per-frame features, the boundary decision, shot measures, perceptual hash, scoring.
export * from './features.js';
export * from './boundaries.js';
export * from './phash.js';
export * from './signature.js';
export * from './analyser.js';
export * from './evaluate.js';
export * from './export.js';
