import { LIMITS, SOCKET_EVENTS } from '@mcp/contracts';
import type {
  Ack,
  Participant,
  SessionJoinPayload,
  SessionLeavePayload,
  SessionMessageBroadcast,
  SessionMessagePayload,
  SessionParticipantJoinedBroadcast,
  SessionParticipantLeftBroadcast,
  WorkflowProgressEvent,
} from '@mcp/contracts';
import { emitWithContext, hashUserId } from '@mcp/mcp-metrics';
import type { Logger } from 'pino';
import type { CollaborationMetrics } from './collaboration.metrics';
import { participantList } from './session-registry.service';
import type { JoinedSession, SessionRegistry } from './session-registry.service';
import { roomOf } from '../socket.types';
import type { HubServer, HubSocket } from '../socket.types';

/** Sessions one connection may be in at once: bounds what a single client can make the hub hold. */
export const MAX_SESSIONS_PER_CONNECTION = 32;

export interface CollaborationServiceOptions {
  io: HubServer;
  registry: SessionRegistry;
  metrics: CollaborationMetrics;
  logger: Logger;
  /**
   * Bound of a cross-instance query (`fetchSockets`). The Redis adapter has its own timeout, but only
   * once its request is published: with Redis unreachable the publish itself waits. Default 2000.
   */
  requestsTimeoutMs?: number;
  /** Participants of one session; a join beyond is refused. Default LIMITS.sessionParticipants. */
  maxParticipants?: number;
}

/** A session id as logs show it: a hash, so logs can be correlated without carrying client-chosen ids. */
export function sessionHash(sessionId: string): string {
  return hashUserId(sessionId);
}

/**
 * Sessions, participants and what the hub emits to session rooms. Participants of this instance are in
 * the {@link SessionRegistry} and on each connection's `socket.data`; with the Redis adapter,
 * `io.in(room).fetchSockets()` also returns the other instances' connections with their `data`, so the
 * lists it builds are cluster-wide. Every emit goes through `emitWithContext`, so the events carry the
 * trace context of what caused them (a client's event, the orchestrator's HTTP request).
 *
 * Members learn the list linearly: a joiner gets the whole list once, in its ack; every change after
 * that reaches the room as one entry (`session:participant_joined` / `session:participant_left`), sent
 * by the instance of the connection that changed, in the order its changes happened. A change costs
 * O(room) entries, never a whole list to every member (O(room²)).
 */
export class CollaborationService {
  private readonly io: HubServer;
  private readonly registry: SessionRegistry;
  private readonly metrics: CollaborationMetrics;
  private readonly logger: Logger;
  private readonly requestsTimeoutMs: number;
  private readonly maxParticipants: number;
  /** Set at shutdown ({@link stop}): nothing more is published through the adapter, queries stay local. */
  private stopped = false;

  constructor(options: CollaborationServiceOptions) {
    this.io = options.io;
    this.registry = options.registry;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.requestsTimeoutMs = options.requestsTimeoutMs ?? 2_000;
    this.maxParticipants = options.maxParticipants ?? LIMITS.sessionParticipants;
  }

  async join(socket: HubSocket, { session_id, user_id }: SessionJoinPayload): Promise<Ack<{ participants: Participant[] }>> {
    // Fetched first, so that every check below and the insert run with no await between them:
    // concurrent joins cannot pass a bound together.
    const before = await this.participants(session_id);
    const joined = sessionsOf(socket);
    const existing = joined.find((entry) => entry.session_id === session_id);
    if (existing !== undefined && existing.user_id !== user_id) {
      return { ok: false, error: 'user_id: this connection already joined the session as another user' };
    }
    if (existing === undefined && joined.length >= MAX_SESSIONS_PER_CONNECTION) {
      return { ok: false, error: `session_id: a connection may be in at most ${MAX_SESSIONS_PER_CONNECTION} sessions` };
    }
    if (!socket.connected) return { ok: false, error: 'connection closed' };
    // Joining again is harmless: same answer, nothing changed, nothing broadcast.
    if (existing !== undefined) return { ok: true, participants: before };
    const isNewUser = !before.some((participant) => participant.user_id === user_id);
    if (this.registry.connectionCount(session_id) >= this.maxParticipants || (isNewUser && before.length >= this.maxParticipants)) {
      return { ok: false, error: `session_id: the session is full (at most ${this.maxParticipants} participants)` };
    }

    const entry: JoinedSession = { session_id, user_id, joined_at: new Date().toISOString() };
    // Recorded on the connection and in the registry together, before any await, so that a disconnect
    // arriving meanwhile finds both and cleans up both.
    joined.push(entry);
    const { started } = this.registry.join(session_id, socket.id, { user_id, joined_at: entry.joined_at });
    await socket.join(roomOf(session_id));

    const participants = await this.participants(session_id);
    if (started) this.metrics.sessionStarted(participants.length);
    else this.metrics.participantJoined(participants.length);
    this.logger.info({ session_hash: sessionHash(session_id), participants: participants.length }, 'participant joined');
    // The room learns of the user when this connection is their entry: they were not in the list, or
    // their other connections left meanwhile (the instance that saw those go may have told the room
    // they left). A second connection of a listed user changes nothing. A connection that left or
    // closed while the list was fetched is not announced: its leave tells the room, and must come last.
    const mine = participants.find((participant) => participant.user_id === user_id);
    if (joined.includes(entry) && mine?.joined_at === entry.joined_at) {
      const joinedUpdate: SessionParticipantJoinedBroadcast = { session_id, participant: mine };
      this.emitToRoom(session_id, SOCKET_EVENTS.sessionParticipantJoined, joinedUpdate, socket.id);
    }
    return { ok: true, participants };
  }

  async leave(socket: HubSocket, { session_id }: SessionLeavePayload): Promise<Ack> {
    const joined = sessionsOf(socket);
    const index = joined.findIndex((entry) => entry.session_id === session_id);
    // Leaving a session one is not in is a no-op, so that a client can always leave safely.
    if (index === -1) return { ok: true };
    const [entry] = joined.splice(index, 1) as [JoinedSession];
    await socket.leave(roomOf(session_id));
    await this.afterLeave(socket.id, entry, 'participant left');
    return { ok: true };
  }

  message(socket: HubSocket, { session_id, text }: SessionMessagePayload): Ack {
    const entry = sessionsOf(socket).find((joined) => joined.session_id === session_id);
    if (entry === undefined) return { ok: false, error: 'session_id: join the session before sending messages to it' };
    const message: SessionMessageBroadcast = { session_id, user_id: entry.user_id, text, at: new Date().toISOString() };
    emitWithContext(this.io.to(roomOf(session_id)), SOCKET_EVENTS.sessionMessage, message);
    this.logger.debug({ session_hash: sessionHash(session_id), text_length: text.length }, 'message broadcast');
    return { ok: true };
  }

  /** After a connection closed (it already left its rooms): every session it was in learns of it. */
  async disconnected(socket: HubSocket): Promise<void> {
    const joined = sessionsOf(socket).splice(0);
    await Promise.all(joined.map((entry) => this.afterLeave(socket.id, entry, 'participant disconnected')));
  }

  /** Participants of a session across every hub instance; this instance's own if the others do not answer. */
  async participants(sessionId: string): Promise<Participant[]> {
    try {
      const sockets = await this.socketsIn(roomOf(sessionId));
      return participantList(sockets.flatMap((socket) => participantsIn(socket.data, sessionId)));
    } catch (error) {
      this.logger.warn({ err: error, session_hash: sessionHash(sessionId) }, 'other hub instances did not answer; listing this instance\'s participants only');
      return this.registry.localParticipants(sessionId);
    }
  }

  /**
   * Relays an orchestrator event to the session's room in the active trace context (the internal HTTP
   * request's) and returns how many connections are in the room, across instances.
   */
  async relayProgress(sessionId: string, event: WorkflowProgressEvent): Promise<number> {
    const room = roomOf(sessionId);
    emitWithContext(this.io.to(room), SOCKET_EVENTS.workflowProgress, event);
    let deliveredTo: number;
    try {
      deliveredTo = (await this.socketsIn(room)).length;
    } catch (error) {
      deliveredTo = this.io.of('/').adapter.rooms.get(room)?.size ?? 0;
      this.logger.warn({ err: error, session_hash: sessionHash(sessionId) }, 'other hub instances did not answer; counting this instance\'s connections only');
    }
    this.logger.info({ session_hash: sessionHash(sessionId), event_type: event.type, progress_id: event.progress_id, delivered_to: deliveredTo }, 'workflow progress relayed');
    return deliveredTo;
  }

  /**
   * At shutdown, once the closed connections' cleanups told the rooms and before the adapter closes:
   * from now on nothing is published and queries stay on this instance. The Redis adapter publishes
   * without awaiting, so an emit or query made once its Redis client is closed (a late disconnect's
   * cleanup) rejects where nothing can catch it, and the unhandled rejection fails the exit.
   */
  stop(): void {
    this.stopped = true;
  }

  /** The connections in `room` on every instance (this one only once shutting down), within the requests timeout. */
  private async socketsIn(room: string): Promise<Array<{ data: unknown }>> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        (this.stopped ? this.io.local : this.io).in(room).fetchSockets(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from the other instances within ${this.requestsTimeoutMs} ms`)), this.requestsTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * After `entry`'s connection left its session: the room learns that the user is gone when this was
   * their last connection, or their entry's new `joined_at` when this was their earliest.
   */
  private async afterLeave(connectionId: string, entry: JoinedSession, what: string): Promise<void> {
    const { session_id, user_id } = entry;
    const outcome = this.registry.leave(session_id, connectionId);
    if (outcome.endedAfterSeconds !== undefined) this.metrics.sessionEnded(outcome.endedAfterSeconds);
    const participants = await this.participants(session_id);
    this.logger.info({ session_hash: sessionHash(session_id), participants: participants.length }, what);
    const remaining = participants.find((participant) => participant.user_id === user_id);
    if (remaining === undefined) {
      const leftUpdate: SessionParticipantLeftBroadcast = { session_id, user_id };
      this.emitToRoom(session_id, SOCKET_EVENTS.sessionParticipantLeft, leftUpdate);
    } else if (remaining.joined_at > entry.joined_at) {
      const joinedUpdate: SessionParticipantJoinedBroadcast = { session_id, participant: remaining };
      this.emitToRoom(session_id, SOCKET_EVENTS.sessionParticipantJoined, joinedUpdate);
    }
  }

  /** Emits to a session's room (but `except`), in the active trace context; nothing once stopped. */
  private emitToRoom(sessionId: string, event: string, payload: object, except?: string): void {
    if (this.stopped) return;
    const room = this.io.to(roomOf(sessionId));
    emitWithContext(except === undefined ? room : room.except(except), event, payload);
  }
}

function sessionsOf(socket: HubSocket): JoinedSession[] {
  if (!Array.isArray(socket.data.sessions)) socket.data.sessions = [];
  return socket.data.sessions;
}

/** The participant entries of `sessionId` in a (possibly remote, so untrusted-shape) socket's data. */
function participantsIn(data: unknown, sessionId: string): Participant[] {
  const sessions: unknown = (data as Partial<Record<string, unknown>> | undefined)?.['sessions'];
  if (!Array.isArray(sessions)) return [];
  const found: Participant[] = [];
  for (const entry of sessions as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { session_id, user_id, joined_at } = entry as Record<string, unknown>;
    if (session_id === sessionId && typeof user_id === 'string' && typeof joined_at === 'string') found.push({ user_id, joined_at });
  }
  return found;
}
