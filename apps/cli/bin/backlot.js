#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle, made by `npm run build`) when it is at least as new as the last
// compile of every package, else the compiled modules in dist/ directly: same code, slower start.
import { statSync } from 'node:fs';

const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return Number.NaN;
  }
};
const compiled = ['../tsconfig.tsbuildinfo', '../../server/tsconfig.tsbuildinfo', '../../../packages/core/tsconfig.tsbuildinfo', '../../../packages/adapters/tsconfig.tsbuildinfo', '../../../packages/workflows/tsconfig.tsbuildinfo'].map(mtime);
const fresh = mtime('../dist/bundle/main.js') >= Math.max(...compiled.filter(Number.isFinite));
await import(fresh ? '../dist/bundle/main.js' : '../dist/main.js');
