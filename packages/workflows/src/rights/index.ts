// The rights registry end to end: load, list, show, import, check, revoke, expiry and taints.
export * from './registry.js';
export * from './import.js';
export * from './revoke.js';
export * from './check.js';
export * from './appearances.js';
