#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle, made by `npm run build`) when it is at least as new as the last
// compile of every package the root tsconfig.json builds, else the compiled modules in dist/
// directly: same code, slower start.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);
const mtime = (url) => {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return Number.NaN;
  }
};
let compiled = [Number.POSITIVE_INFINITY]; // without the list, never trust the bundle
try {
  const { references } = JSON.parse(readFileSync(new URL('tsconfig.json', root), 'utf8'));
  compiled = references.map((r) => mtime(new URL(`${r.path}/tsconfig.tsbuildinfo`, root)));
} catch {}
const fresh = mtime(new URL('../dist/bundle/main.js', import.meta.url)) >= Math.max(...compiled.filter(Number.isFinite));
await import(fresh ? '../dist/bundle/main.js' : '../dist/main.js');
