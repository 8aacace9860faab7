// Hash-chained audit log: encoding, hashing and verification (pure).
export * from './chain.js';
