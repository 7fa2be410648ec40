import { describe, expect, it } from 'vitest';
import { SessionJoinPayload } from '@mcp/contracts';
import { newSessionId, sessionIdFromHash, sessionLink } from './session-link';

describe('the private default session', () => {
  it('is 128 random bits, new every time, and a valid session_id', () => {
    const ids = new Set(Array.from({ length: 1_000 }, newSessionId));
    expect(ids.size).toBe(1_000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(SessionJoinPayload.safeParse({ session_id: id, user_id: 'u' }).success).toBe(true);
    }
  });

  it('travels in the link fragment and comes back from it', () => {
    const link = sessionLink('http://127.0.0.1:3000/?x=1#old', 'room with space/ä');
    expect(link).toBe('http://127.0.0.1:3000/?x=1#session=room+with+space%2F%C3%A4');
    expect(sessionIdFromHash(new URL(link).hash)).toBe('room with space/ä');
  });

  it.each([
    ['', undefined],
    ['#', undefined],
    ['#other=1', undefined],
    ['#session=', undefined],
    ['#session=%20%20', undefined],
    [`#session=${'x'.repeat(129)}`, undefined],
    ['#session=abc', 'abc'],
  ])('%s → %s', (hash, expected) => {
    expect(sessionIdFromHash(hash)).toBe(expected);
  });
});
