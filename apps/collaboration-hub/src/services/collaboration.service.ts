import { LIMITS, SOCKET_EVENTS } from '@mcp/contracts';
import type {
  Ack,
  Participant,
  SessionJoinPayload,
  SessionLeavePayload,
  SessionMessageBroadcast,
  SessionMessagePayload,
  SessionParticipantsBroadcast,
  WorkflowProgressEvent,
} from '@mcp/contracts';
import { emitWithContext, hashUserId } from '@mcp/mcp-metrics';
import type { Logger } from 'pino';
import { context, type Context } from '@opentelemetry/api';
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
  /** At most one `session:participants` broadcast per session per this many ms. Default 250. */
  participantsBroadcastIntervalMs?: number;
}

/** The broadcast state of one session: when its list went out last, and the one that will go next. */
interface ParticipantsBroadcast {
  lastAt: number;
  /** A trailing broadcast is scheduled; it sends the list as it is then, in `context`. */
  timer?: NodeJS.Timeout;
  context?: Context;
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
 */
export class CollaborationService {
  private readonly io: HubServer;
  private readonly registry: SessionRegistry;
  private readonly metrics: CollaborationMetrics;
  private readonly logger: Logger;
  private readonly requestsTimeoutMs: number;
  private readonly maxParticipants: number;
  private readonly broadcastIntervalMs: number;
  private readonly broadcasts = new Map<string, ParticipantsBroadcast>();
  /** Set at shutdown ({@link stop}): nothing more is published through the adapter, queries stay local. */
  private stopped = false;

  constructor(options: CollaborationServiceOptions) {
    this.io = options.io;
    this.registry = options.registry;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.requestsTimeoutMs = options.requestsTimeoutMs ?? 2_000;
    this.maxParticipants = options.maxParticipants ?? LIMITS.sessionParticipants;
    this.broadcastIntervalMs = options.participantsBroadcastIntervalMs ?? 250;
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
    // A connection that closed while the list was fetched gets its own cleanup broadcast instead.
    if (socket.connected) this.broadcastParticipants(session_id, participants);
    return { ok: true, participants };
  }

  async leave(socket: HubSocket, { session_id }: SessionLeavePayload): Promise<Ack> {
    const joined = sessionsOf(socket);
    const index = joined.findIndex((entry) => entry.session_id === session_id);
    // Leaving a session one is not in is a no-op, so that a client can always leave safely.
    if (index === -1) return { ok: true };
    joined.splice(index, 1);
    await socket.leave(roomOf(session_id));
    await this.afterLeave(socket.id, session_id, 'participant left');
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

  /** After a connection closed (it already left its rooms): every session it was in gets the new list. */
  async disconnected(socket: HubSocket): Promise<void> {
    const joined = sessionsOf(socket).splice(0);
    await Promise.all(joined.map(({ session_id }) => this.afterLeave(socket.id, session_id, 'participant disconnected')));
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
   * At shutdown, once the closed connections' cleanups ran and before the adapter closes: the
   * participant broadcasts still waiting for their interval go out now, and after that nothing is
   * published and queries stay on this instance. The Redis adapter publishes without awaiting, so a
   * broadcast or query made once its Redis client is closed (a trailing broadcast's timer, a late
   * disconnect) rejects where nothing can catch it, and the unhandled rejection fails the exit.
   */
  async stop(): Promise<void> {
    const pending = [...this.broadcasts].filter(([, state]) => state.timer !== undefined);
    for (const [, state] of pending) clearTimeout(state.timer);
    await Promise.allSettled(
      pending.map(([sessionId, state]) => context.with(state.context ?? context.active(), async () => this.emitParticipants(sessionId, await this.participants(sessionId)))),
    );
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

  private async afterLeave(connectionId: string, sessionId: string, what: string): Promise<void> {
    const outcome = this.registry.leave(sessionId, connectionId);
    if (outcome.endedAfterSeconds !== undefined) this.metrics.sessionEnded(outcome.endedAfterSeconds);
    const participants = await this.participants(sessionId);
    this.logger.info({ session_hash: sessionHash(sessionId), participants: participants.length }, what);
    this.broadcastParticipants(sessionId, participants);
  }

  /**
   * Tells the room its participant list, at most once per interval: the first change in an interval
   * goes out at once (with the list the caller has), later ones coalesce into one trailing broadcast
   * of the list as it is then, in the context of the last change. So a burst of n joins costs a few
   * broadcasts of n entries to n members, not n of them (n² entries per join burst instead of n³).
   */
  private broadcastParticipants(sessionId: string, participants: Participant[]): void {
    const now = performance.now();
    const state = this.broadcasts.get(sessionId);
    if (state?.timer !== undefined) {
      state.context = context.active();
      return;
    }
    const wait = state === undefined ? 0 : state.lastAt + this.broadcastIntervalMs - now;
    if (state === undefined || wait <= 0) {
      this.broadcasts.set(sessionId, { lastAt: now });
      this.emitParticipants(sessionId, participants);
      return;
    }
    state.context = context.active();
    state.timer = setTimeout(() => {
      const pending = this.broadcasts.get(sessionId);
      const parent = pending?.context ?? context.active();
      this.broadcasts.set(sessionId, { lastAt: performance.now() });
      void context.with(parent, async () => {
        this.emitParticipants(sessionId, await this.participants(sessionId));
        this.forgetIfEmpty(sessionId);
      });
    }, wait);
    state.timer.unref();
  }

  private emitParticipants(sessionId: string, participants: Participant[]): void {
    if (this.stopped) return;
    const update: SessionParticipantsBroadcast = { session_id: sessionId, participants };
    emitWithContext(this.io.to(roomOf(sessionId)), SOCKET_EVENTS.sessionParticipants, update);
    this.forgetIfEmpty(sessionId);
  }

  /** Drops the broadcast state of a session without participants here and nothing scheduled. */
  private forgetIfEmpty(sessionId: string): void {
    if (this.registry.connectionCount(sessionId) === 0 && this.broadcasts.get(sessionId)?.timer === undefined) this.broadcasts.delete(sessionId);
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
