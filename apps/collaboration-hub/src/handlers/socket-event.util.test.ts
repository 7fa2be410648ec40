import { SessionJoinPayload, SessionMessagePayload } from '@mcp/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadAndAck, validatePayload } from './socket-event.util';

describe('payloadAndAck', () => {
  const ack = (): void => undefined;
  it.each([
    { name: 'payload and ack', args: [{ a: 1 }, ack], payload: { a: 1 }, hasAck: true },
    { name: 'payload only', args: [{ a: 1 }], payload: { a: 1 }, hasAck: false },
    { name: 'ack only', args: [ack], payload: undefined, hasAck: true },
    { name: 'nothing', args: [], payload: undefined, hasAck: false },
    { name: 'extra arguments, no ack', args: ['x', 'y'], payload: 'x', hasAck: false },
    { name: 'extra arguments and an ack', args: ['x', 'y', ack], payload: 'x', hasAck: true },
  ])('$name', ({ args, payload, hasAck }) => {
    const split = payloadAndAck(args);
    expect(split.payload).toEqual(payload);
    expect(split.ack !== undefined).toBe(hasAck);
  });
});

describe('validatePayload', () => {
  it('names every bad field, and the payload itself when it is not an object', () => {
    expect(validatePayload(SessionJoinPayload, { session_id: '', user_id: 3 })).toEqual({
      ok: false,
      error: 'session_id: must not be empty; user_id: Invalid input: expected string, received number',
    });
    expect(validatePayload(SessionJoinPayload, 'join me')).toEqual({ ok: false, error: 'payload: Invalid input: expected object, received string' });
    expect(validatePayload(SessionJoinPayload, { session_id: 's', user_id: 'u', extra: 1 })).toEqual({ ok: false, error: 'payload: Unrecognized key: "extra"' });
    expect(validatePayload(SessionJoinPayload, { session_id: ' s ', user_id: 'u' })).toEqual({ ok: true, data: { session_id: 's', user_id: 'u' } });
  });

  it('never throws, and the error starts with a field of the schema or "payload"', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        for (const schema of [SessionJoinPayload, SessionMessagePayload]) {
          const result = validatePayload(schema, input);
          if (result.ok) continue;
          // (Not split on '; ': an unknown key may itself contain one.)
          expect(result.error).toMatch(/^(session_id|user_id|text|payload): \S/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
