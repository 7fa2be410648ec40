import { createHash } from 'node:crypto';

/** A small, fast PRNG (mulberry32): the same seed gives the same sequence of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed and a short hex digest derived from `parts` (SHA-256), for per-input determinism. */
export function digestSeed(...parts: string[]): { seed: number; hex: string } {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  const digest = hash.digest();
  return { seed: digest.readUInt32BE(0), hex: digest.subarray(0, 4).toString('hex') };
}
