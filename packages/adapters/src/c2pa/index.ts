// C2PA adapter: the studio's signing keys (a development chain on first use) and content credentials.
export * from './keys.js';
export * from './credentials.js';
