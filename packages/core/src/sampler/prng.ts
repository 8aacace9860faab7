// Seeded, counter-based random numbers: value i depends only on (seed, i), never on call order, so the
// same seed gives the same noise whether it is drawn in one call or in pieces, in any process.

/** One round of a 32-bit avalanche mix (Wellons' "lowbias32" constants). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Splits any integer seed (up to 2^53) into two 32-bit keys. */
function seedKeys(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  return [mix32(lo ^ 0x9e3779b9), mix32(hi ^ 0x85ebca6b)];
}

/** 32 random bits for counter i under a seed: three mixing rounds keyed by both seed halves. */
export function randomBits(seed: number, i: number): number {
  const [k0, k1] = seedKeys(seed);
  return bitsWithKeys(k0, k1, i);
}

function bitsWithKeys(k0: number, k1: number, i: number): number {
  const c = i >>> 0;
  const ch = Math.floor(i / 2 ** 32) >>> 0;
  return mix32(mix32(mix32(c ^ k0) ^ ch ^ k1) + k0);
}

/** Uniform in (0, 1): never 0, so it is safe under log. */
function unit(bits: number): number {
  return (bits + 0.5) / 2 ** 32;
}

/**
 * `count` standard normal samples for a seed, by Box-Muller over pairs of counter-based uniforms.
 * `offset` skips that many samples, so noise for a slice of a tensor equals that slice of the whole.
 */
export function gaussianNoise(seed: number, count: number, offset = 0): Float32Array {
  const [k0, k1] = seedKeys(seed);
  const out = new Float32Array(count);
  for (let j = 0; j < count; j++) {
    const n = offset + j;
    const pair = Math.floor(n / 2);
    const u1 = unit(bitsWithKeys(k0, k1, 2 * pair));
    const u2 = unit(bitsWithKeys(k0, k1, 2 * pair + 1));
    const r = Math.sqrt(-2 * Math.log(u1));
    out[j] = n % 2 === 0 ? r * Math.cos(2 * Math.PI * u2) : r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
