// Merkle trees: the generic RFC 6962-shaped tree and the dataset snapshot's root built on it.
export * from './tree.js';
export * from './dataset-root.js';
