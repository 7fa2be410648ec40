import { createHash } from 'node:crypto';
import type { WorkflowExecuteBody } from '@mcp/contracts';

// What makes a request a replay of an earlier one (the IdempotencyClaim of the run store): its
// Idempotency-Key and a hash of its body; a key reused with another body is a client error.

/** An Idempotency-Key reused with a different request body. */
export class IdempotencyConflictError extends Error {
  readonly code = 'IDEMPOTENCY_CONFLICT';
  constructor() {
    // Without the run's id: whoever guesses a key must not learn the capability to read its run.
    super('Idempotency-Key was already used with a different request body');
    this.name = 'IdempotencyConflictError';
  }
}

/** JSON with object keys sorted, so one request body always hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 of the canonical request body. */
export function requestHash(body: WorkflowExecuteBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
