// Bundles the compiled CLI (dist/, from `tsc -b`) into dist/bundle/: one file per group of commands
// instead of ~250 modules, which starts `backlot` ~0.15 s sooner (measured by `npm run bench:generate`).
// Packages with native code or WebAssembly files next to their JavaScript stay outside the bundle and
// load from node_modules as usual. bin/backlot.js runs the bundle only while it is as new as every
// package's last compile, so a plain `tsc -b` never leaves a stale bundle in use.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// zod re-exports its 64 translations of error messages as `z.locales`, and a namespace import keeps
// them all: 0.75 MB that every command parsed at start (~70 ms). Backlot words its own errors and
// never reads z.locales, so the bundle keeps English only (the default zod itself configures).
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}node_modules${sep}zod${sep}`) ? { path: join(dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: "export { default as en } from './en.js';", resolveDir: dirname(args.path), loader: 'js' }));
  },
};

const cli = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${cli}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  // The model's worker thread is its own entry: @backlot/adapters/onnx starts it from the file
  // model-worker.js beside the chunk that holds it, which is this folder in the bundle.
  entryPoints: { main: `${cli}dist/main.js`, 'model-worker': `${cli}../../packages/adapters/dist/onnx/worker/model-worker.js` },
  outdir,
  bundle: true,
  splitting: true, // each command module stays its own chunk, loaded only when its command runs
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  plugins: [zodEnglishOnly],
  external: [
    '@electric-sql/pglite', '@electric-sql/pglite-socket', // WebAssembly and data files beside the JS
    'onnxruntime-node', '@contentauth/c2pa-node', '@node-rs/argon2', // native add-ons
    'pg', 'pg-boss', 'openid-client', // optional native or dynamic requires
  ],
  // Bundled CommonJS dependencies (commander, cli-progress) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __backlotRequire } from 'node:module'; const require = __backlotRequire(import.meta.url);" },
});
