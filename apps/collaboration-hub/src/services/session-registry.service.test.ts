import { describe, expect, it } from 'vitest';
import { SessionRegistry, participantList } from './session-registry.service';

describe('SessionRegistry', () => {
  it('starts a session on its first participant and ends it, timed, when the last one leaves', () => {
    let now = 1_000;
    const registry = new SessionRegistry(() => now);
    expect(registry.join('s', 'c1', { user_id: 'a', joined_at: 't1' })).toEqual({ started: true });
    now = 2_000;
    expect(registry.join('s', 'c2', { user_id: 'b', joined_at: 't2' })).toEqual({ started: false });
    expect(registry.localParticipants('s').map((p) => p.user_id)).toEqual(['a', 'b']);
    now = 5_000;
    expect(registry.leave('s', 'c1')).toEqual({ left: true });
    now = 31_000;
    expect(registry.leave('s', 'c2')).toEqual({ left: true, endedAfterSeconds: 30 });
    expect(registry.sessionCount).toBe(0);
  });

  it('ignores a leave of a connection that is not in the session', () => {
    const registry = new SessionRegistry();
    expect(registry.leave('nowhere', 'c1')).toEqual({ left: false });
    registry.join('s', 'c1', { user_id: 'a', joined_at: 't' });
    expect(registry.leave('s', 'c2')).toEqual({ left: false });
    expect(registry.sessionCount).toBe(1);
  });

  it('keeps session ids like __proto__ apart from object internals', () => {
    const registry = new SessionRegistry();
    expect(registry.join('__proto__', 'c1', { user_id: 'a', joined_at: 't' })).toEqual({ started: true });
    expect(registry.localParticipants('__proto__')).toEqual([{ user_id: 'a', joined_at: 't' }]);
    expect(registry.localParticipants('constructor')).toEqual([]);
  });
});

describe('participantList', () => {
  it('lists each user once, since their earliest join, oldest first', () => {
    expect(
      participantList([
        { user_id: 'b', joined_at: '2026-01-01T00:00:02.000Z' },
        { user_id: 'a', joined_at: '2026-01-01T00:00:03.000Z' },
        { user_id: 'b', joined_at: '2026-01-01T00:00:01.000Z' },
        { user_id: 'c', joined_at: '2026-01-01T00:00:03.000Z' },
      ]),
    ).toEqual([
      { user_id: 'b', joined_at: '2026-01-01T00:00:01.000Z' },
      { user_id: 'a', joined_at: '2026-01-01T00:00:03.000Z' },
      { user_id: 'c', joined_at: '2026-01-01T00:00:03.000Z' },
    ]);
  });
});
