export * from './fountain.js';
