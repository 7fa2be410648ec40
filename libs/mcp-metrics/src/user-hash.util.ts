import { createHash, createHmac } from 'node:crypto';

/** Hex characters kept of the digest: 64 bits, plenty to tell users apart within one trace backend. */
const USER_HASH_LENGTH = 16;

/**
 * A stable pseudonym for a user id, for span attributes (`mcp.user_hash`): user ids themselves must not
 * leave the service in telemetry (DESIGN.md decision 7). With a `key` it is an HMAC-SHA-256, which cannot
 * be reversed by hashing every possible id; without one it is a plain SHA-256, which can be when ids are
 * guessable (sequential numbers, e-mail addresses), so pass a key in production.
 */
export function hashUserId(userId: string, key?: string): string {
  const digest = key === undefined || key === '' ? createHash('sha256') : createHmac('sha256', key);
  return digest.update(userId, 'utf8').digest('hex').slice(0, USER_HASH_LENGTH);
}
