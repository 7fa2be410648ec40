import type { Participant } from '@mcp/contracts';

/** One session a connection joined, as kept in `socket.data` (serialisable: other instances read it). */
export interface JoinedSession extends Participant {
  session_id: string;
}

/** What a join changed on this instance. */
export interface JoinOutcome {
  /** The session had no participant on this instance before. */
  started: boolean;
}

/** What a leave changed on this instance. */
export interface LeaveOutcome {
  /** The connection was in the session. */
  left: boolean;
  /** Set when the session has no participant left on this instance: seconds since its first join here. */
  endedAfterSeconds?: number;
}

interface LocalSession {
  startedAt: number;
  members: Map<string, Participant>;
}

/**
 * The sessions this instance hosts: which of its connections are in which session, as whom, and
 * since when the session has had participants here. Other instances' connections are not here; they
 * come from the Socket.IO adapter (see CollaborationService). Knows nothing of sockets or HTTP.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, LocalSession>();

  constructor(private readonly now: () => number = Date.now) {}

  join(sessionId: string, connectionId: string, participant: Participant): JoinOutcome {
    let session = this.sessions.get(sessionId);
    const started = session === undefined;
    if (session === undefined) {
      session = { startedAt: this.now(), members: new Map() };
      this.sessions.set(sessionId, session);
    }
    session.members.set(connectionId, { ...participant });
    return { started };
  }

  leave(sessionId: string, connectionId: string): LeaveOutcome {
    const session = this.sessions.get(sessionId);
    if (session === undefined || !session.members.delete(connectionId)) return { left: false };
    if (session.members.size > 0) return { left: true };
    this.sessions.delete(sessionId);
    return { left: true, endedAfterSeconds: Math.max(0, (this.now() - session.startedAt) / 1000) };
  }

  /** Participants of a session on this instance only. */
  localParticipants(sessionId: string): Participant[] {
    return participantList([...(this.sessions.get(sessionId)?.members.values() ?? [])]);
  }

  /** Connections of a session on this instance (a user with two tabs counts twice). */
  connectionCount(sessionId: string): number {
    return this.sessions.get(sessionId)?.members.size ?? 0;
  }

  /** Sessions with at least one participant on this instance. */
  get sessionCount(): number {
    return this.sessions.size;
  }
}

/**
 * The participant list clients see: one entry per user (a user with two tabs is one participant,
 * since their earliest join), oldest first.
 */
export function participantList(entries: readonly Participant[]): Participant[] {
  const byUser = new Map<string, Participant>();
  for (const { user_id, joined_at } of entries) {
    const known = byUser.get(user_id);
    if (known === undefined || joined_at < known.joined_at) byUser.set(user_id, { user_id, joined_at });
  }
  return [...byUser.values()].sort((a, b) => (a.joined_at === b.joined_at ? a.user_id.localeCompare(b.user_id) : a.joined_at < b.joined_at ? -1 : 1));
}
