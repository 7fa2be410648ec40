import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `given` equals the shared secret, in time independent of where they differ and of their
 * lengths (both sides are hashed to 32 bytes first, since timingSafeEqual needs equal lengths).
 */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given === '') return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
