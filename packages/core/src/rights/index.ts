// Rights: the registry's domain types and the pure, versioned training-rights policy.
export * from './model.js';
export * from './policy.js';
export * from './import-format.js';
export * from './optout.js';
export * from './appearances.js';
