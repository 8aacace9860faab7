// ffmpeg adapter: probing, single-pass shot analysis, keyframes, proxies, encoding.
export * from './run.js';
export * from './probe.js';
