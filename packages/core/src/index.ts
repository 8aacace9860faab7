export * from './errors.js';
export * from './progress.js';
export * from './domain/library.js';
export * from './audit/index.js';
export * from './sampler/index.js';
export * from './screenplay/index.js';
export * from './subtitles/index.js';
export * from './guardrails/index.js';
