// Pure sampling: seeded noise, flow schedules, Euler/Heun samplers, guidance and frame conditioning.
export * from './prng.js';
export * from './schedule.js';
export * from './sampler.js';
export * from './conditioning.js';
export * from './tokenizer.js';
export * from './attribution.js';
