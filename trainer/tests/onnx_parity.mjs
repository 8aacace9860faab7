// Runs the exported ONNX files in onnxruntime-node on the inputs export.py --parity wrote and prints the
// largest absolute difference from PyTorch's outputs per graph, as one JSON line.
// usage: node trainer/tests/onnx_parity.mjs ONNX_DIR PARITY_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const [onnxDir, parityDir] = process.argv.slice(2);
const index = JSON.parse(readFileSync(join(parityDir, 'index.json'), 'utf8'));

function load(spec) {
  const buf = readFileSync(join(parityDir, spec.file));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const data = spec.dtype === 'int64' ? new BigInt64Array(ab) : new Float32Array(ab);
  return new ort.Tensor(spec.dtype, data, spec.shape);
}

const result = {};
for (const [graph, tensors] of Object.entries(index)) {
  const session = await ort.InferenceSession.create(join(onnxDir, `${graph}.onnx`));
  const feeds = {};
  const expected = {};
  for (const [name, spec] of Object.entries(tensors)) {
    if (name.startsWith('=')) expected[name.slice(1)] = load(spec);
    else feeds[name] = load(spec);
  }
  const t0 = performance.now();
  const out = await session.run(feeds);
  const ms = performance.now() - t0;
  let maxAbs = 0;
  let maxRef = 0;
  for (const [name, ref] of Object.entries(expected)) {
    const got = out[name];
    if (!got) throw new Error(`${graph}: no output ${name}`);
    if (got.dims.join('x') !== ref.dims.join('x')) throw new Error(`${graph}.${name}: shape ${got.dims} != ${ref.dims}`);
    for (let i = 0; i < ref.data.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(got.data[i] - ref.data[i]));
      maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
    }
  }
  result[graph] = { maxAbs, maxRef, ms };
}
console.log(JSON.stringify(result));
