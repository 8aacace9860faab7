// 64-bit perceptual hash (pHash): the signs of the lowest 8x8 DCT coefficients of a 32x32 grey
// thumbnail against their median. Near-identical pictures (re-encodes, rescales) differ in a few bits.

const N = 32;
const K = 8;

// cos((2x+1)uπ/2N) for u < K, x < N, computed once.
const COS = (() => {
  const t = new Float64Array(K * N);
  for (let u = 0; u < K; u++) for (let x = 0; x < N; x++) t[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  return t;
})();

/** Box-averages a grey plane down to 32x32. */
function thumbnail(gray: Uint8Array, w: number, h: number): Float64Array {
  const out = new Float64Array(N * N);
  for (let ty = 0; ty < N; ty++) {
    const y0 = Math.floor((ty * h) / N);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * h) / N));
    for (let tx = 0; tx < N; tx++) {
      const x0 = Math.floor((tx * w) / N);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * w) / N));
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += gray[y * w + x]!;
      out[ty * N + tx] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/** pHash of a grey image as 16 hex characters. */
export function perceptualHash(gray: Uint8Array, width: number, height: number): string {
  const img = thumbnail(gray, width, height);
  // Separable DCT, keeping only the K lowest frequencies in each direction.
  const rows = new Float64Array(N * K); // rows[y*K+u]
  for (let y = 0; y < N; y++)
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += img[y * N + x]! * COS[u * N + x]!;
      rows[y * K + u] = s;
    }
  const coeffs = new Float64Array(K * K);
  for (let v = 0; v < K; v++)
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y * K + u]! * COS[v * N + y]!;
      coeffs[v * K + u] = s;
    }
  // Median without the DC term, which only says how bright the picture is.
  const ac = Array.from(coeffs.subarray(1)).sort((a, b) => a - b);
  const median = (ac[31]! + ac[32]!) / 2;
  let hex = '';
  for (let nib = 0; nib < 16; nib++) {
    let v = 0;
    for (let b = 0; b < 4; b++) v = (v << 1) | (coeffs[nib * 4 + b]! > median ? 1 : 0);
    hex += v.toString(16);
  }
  return hex;
}

/** Number of differing bits between two hashes from perceptualHash. */
export function hammingDistance(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    let x = parseInt(a[i] ?? '0', 16) ^ parseInt(b[i] ?? '0', 16);
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}
