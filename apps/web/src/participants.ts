import type { Participant } from '@mcp/contracts';

/**
 * The page's copy of a session's participant list, as the hub tells it: the whole list once, in the
 * join's ack, then one `session:participant_joined` / `session:participant_left` per change.
 *
 * Changes can arrive before the ack (the hub puts the joiner in the room before it reads the list),
 * so they wait and are applied after the ack's list, in the order they came: each concerns one user
 * and comes after that user's earlier changes, so applying it last gives the user's state whether or
 * not the ack's list already had it. Ordered as the hub orders it (earliest join first, then by id).
 */
export class ParticipantList {
  private readonly byUser = new Map<string, Participant>();
  /** Changes received before the ack's list; undefined once it came. */
  private waiting: Array<(byUser: Map<string, Participant>) => void> | undefined = [];

  constructor(readonly sessionId: string) {}

  /** The join's ack: the whole list, then the changes that arrived before it. */
  reset(participants: readonly Participant[]): void {
    this.byUser.clear();
    for (const participant of participants) this.byUser.set(participant.user_id, { user_id: participant.user_id, joined_at: participant.joined_at });
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const change of waiting) change(this.byUser);
  }

  /** A user entered the list, or their entry changed. */
  joined(participant: Participant): void {
    const { user_id, joined_at } = participant;
    this.change((byUser) => byUser.set(user_id, { user_id, joined_at }));
  }

  /** A user's last connection left. */
  left(userId: string): void {
    this.change((byUser) => byUser.delete(userId));
  }

  /** True once the ack's list came: until then the list is not known. */
  get known(): boolean {
    return this.waiting === undefined;
  }

  list(): Participant[] {
    return [...this.byUser.values()].sort((a, b) => (a.joined_at === b.joined_at ? a.user_id.localeCompare(b.user_id) : a.joined_at < b.joined_at ? -1 : 1));
  }

  private change(apply: (byUser: Map<string, Participant>) => void): void {
    if (this.waiting === undefined) apply(this.byUser);
    else this.waiting.push(apply);
  }
}
