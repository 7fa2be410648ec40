import { describe, expect, it } from 'vitest';
import { ParticipantList } from './participants';

const at = (second: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const names = (list: ParticipantList): string[] => list.list().map((p) => p.user_id);

describe('the page\'s participant list', () => {
  it('starts from the join\'s list and follows one change at a time, in the hub\'s order', () => {
    const list = new ParticipantList('s');
    list.reset([
      { user_id: 'bob', joined_at: at(2) },
      { user_id: 'ada', joined_at: at(1) },
    ]);
    expect(list.known).toBe(true);
    expect(names(list)).toEqual(['ada', 'bob']);
    list.joined({ user_id: 'cy', joined_at: at(3) });
    list.joined({ user_id: 'ben', joined_at: at(3) });
    expect(names(list)).toEqual(['ada', 'bob', 'ben', 'cy']);
    list.left('bob');
    // ada's earliest connection left: her entry moves to her next one.
    list.joined({ user_id: 'ada', joined_at: at(4) });
    expect(list.list()).toEqual([
      { user_id: 'ben', joined_at: at(3) },
      { user_id: 'cy', joined_at: at(3) },
      { user_id: 'ada', joined_at: at(4) },
    ]);
  });

  it('applies the changes that came before the join\'s list after it, whether or not the list had them', () => {
    const list = new ParticipantList('s');
    list.joined({ user_id: 'cy', joined_at: at(3) });
    list.left('bob');
    list.joined({ user_id: 'dee', joined_at: at(5) });
    list.left('dee');
    expect(list.known).toBe(false);
    expect(list.list()).toEqual([]);
    // The list was read after cy joined and before bob left.
    list.reset([
      { user_id: 'ada', joined_at: at(1) },
      { user_id: 'bob', joined_at: at(2) },
      { user_id: 'cy', joined_at: at(3) },
    ]);
    expect(names(list)).toEqual(['ada', 'cy']);
  });
});
