// ffmpeg adapter: probing, single-pass shot analysis, keyframes, proxies, encoding.
export * from './run.js';
export * from './probe.js';
export * from './proxy.js';
export * from './frames.js';
export * from './analyze.js';
