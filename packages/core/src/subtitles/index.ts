export * from './subtitles.js';
