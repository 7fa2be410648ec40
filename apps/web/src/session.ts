import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type {
  Ack,
  Participant,
  SOCKET_EVENTS,
  SessionMessageBroadcast,
  SessionParticipantJoinedBroadcast,
  SessionParticipantLeftBroadcast,
  WorkflowProgressEvent,
} from '@mcp/contracts';
import { extractTraceContext, injectTraceContext, withTraceContext } from '@mcp/otel-web';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { tracer } from './api';
import { ParticipantList } from './participants';

/** SOCKET_EVENTS of @mcp/contracts, checked against it (a value import would bundle the contracts' gRPC half). */
const EVENTS = {
  sessionJoin: 'session:join',
  sessionLeave: 'session:leave',
  sessionMessage: 'session:message',
  sessionParticipantJoined: 'session:participant_joined',
  sessionParticipantLeft: 'session:participant_left',
  workflowProgress: 'workflow:progress',
  connectionClosing: 'connection:closing',
} as const satisfies typeof SOCKET_EVENTS;

const ACK_TIMEOUT_MS = 5_000;

export interface SessionHandlers {
  /** The session's participants changed (after a reconnect's join, or a participant joined or left). */
  onParticipants(participants: Participant[]): void;
  onMessage(message: SessionMessageBroadcast): void;
  /** A progress event with the trace id it carried (the run's trace). */
  onProgress(event: WorkflowProgressEvent, traceId: string | undefined): void;
  onStatus(text: string, connected: boolean): void;
}

function isParticipant(value: unknown): value is Participant {
  const candidate = value as Partial<Record<keyof Participant, unknown>> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.user_id === 'string' && typeof candidate.joined_at === 'string';
}

function fail(span: Span, error: unknown): never {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
  throw error instanceof Error ? error : new Error(String(error));
}

/**
 * One collaboration session over Socket.IO (websocket transport: no CORS preflights, no sticky
 * sessions across hub instances). Trace context goes on the handshake (`auth`) and in `_otel` of every
 * event we send; every event we receive is processed in a CONSUMER span under the context it carried.
 */
export class SessionClient {
  private socket: Socket | undefined;
  private joined: { session_id: string; user_id: string } | undefined;
  /** The participants of the session being joined or joined; its changes arrive from the moment the join is sent. */
  private participants: ParticipantList | undefined;

  constructor(
    private readonly hubUrl: string,
    private readonly handlers: SessionHandlers,
  ) {}

  get sessionId(): string | undefined {
    return this.joined?.session_id;
  }

  get userId(): string | undefined {
    return this.joined?.user_id;
  }

  /** Connects (once) and joins; resolves with the participants and the join's trace id, rejects with the hub's message. */
  join(sessionId: string, userId: string): Promise<{ participants: Participant[]; traceId: string }> {
    const span = tracer.startSpan('join session', { kind: SpanKind.INTERNAL });
    const ctx = trace.setSpan(context.active(), span);
    return context.with(ctx, async () => {
      try {
        if (this.joined && this.joined.session_id !== sessionId) await this.leave();
        const socket = this.connect();
        if (!socket.connected) await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the hub at ${this.hubUrl} did not answer`)), ACK_TIMEOUT_MS);
          socket.once('connect', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        const participants = new ParticipantList(sessionId);
        this.participants = participants;
        const ack = await context.with(ctx, () => this.send<{ participants: Participant[] }>(EVENTS.sessionJoin, { session_id: sessionId, user_id: userId }));
        participants.reset(ack.participants);
        this.joined = { session_id: sessionId, user_id: userId };
        span.end();
        return { participants: participants.list(), traceId: span.spanContext().traceId };
      } catch (error) {
        this.participants = undefined;
        return fail(span, error);
      }
    });
  }

  sendMessage(text: string): Promise<void> {
    const sessionId = this.joined?.session_id;
    if (!sessionId) return Promise.reject(new Error('join a session first'));
    return this.send(EVENTS.sessionMessage, { session_id: sessionId, text }).then(() => undefined);
  }

  async leave(): Promise<void> {
    const joined = this.joined;
    this.joined = undefined;
    this.participants = undefined;
    if (joined && this.socket?.connected) await this.send(EVENTS.sessionLeave, { session_id: joined.session_id }).catch(() => undefined);
    this.socket?.disconnect();
    this.socket = undefined;
    this.handlers.onStatus('Not connected.', false);
  }

  private connect(): Socket {
    if (this.socket) return this.socket;
    // The handshake carries the context of the join that opened the connection.
    const socket = io(this.hubUrl, { transports: ['websocket'], auth: injectTraceContext(), reconnectionDelayMax: 5_000, timeout: ACK_TIMEOUT_MS });
    this.socket = socket;
    socket.on('connect', () => {
      this.handlers.onStatus(this.joined ? `Connected, in session “${this.joined.session_id}” as ${this.joined.user_id}.` : 'Connected.', true);
      // After a reconnect the hub has forgotten us: join again, and take the list from its ack.
      if (this.joined) this.rejoin(this.joined);
    });
    socket.on('disconnect', (reason) => this.handlers.onStatus(`Disconnected (${reason}); reconnecting…`, false));
    socket.on('connect_error', (error) => this.handlers.onStatus(`Cannot reach the hub: ${error.message}`, false));
    // The hub says why before it closes a connection (e.g. too many events).
    socket.on(EVENTS.connectionClosing, (payload: { reason?: unknown }) => this.handlers.onStatus(`The hub closed the connection: ${String(payload?.reason ?? 'no reason given')}`, false));
    this.consume<SessionParticipantJoinedBroadcast>(socket, EVENTS.sessionParticipantJoined, (payload) => {
      if (isParticipant(payload.participant)) this.changeParticipants(payload.session_id, (participants) => participants.joined(payload.participant));
    });
    this.consume<SessionParticipantLeftBroadcast>(socket, EVENTS.sessionParticipantLeft, (payload) => {
      if (typeof payload.user_id === 'string') this.changeParticipants(payload.session_id, (participants) => participants.left(payload.user_id));
    });
    this.consume<SessionMessageBroadcast>(socket, EVENTS.sessionMessage, (payload) => {
      if (payload.session_id === this.joined?.session_id) this.handlers.onMessage(payload);
    });
    this.consume<WorkflowProgressEvent>(socket, EVENTS.workflowProgress, (payload, traceId) => this.handlers.onProgress(payload, traceId));
    return socket;
  }

  private rejoin(joined: { session_id: string; user_id: string }): void {
    const participants = new ParticipantList(joined.session_id);
    this.participants = participants;
    this.send<{ participants: Participant[] }>(EVENTS.sessionJoin, joined).then(
      (ack) => {
        if (this.participants !== participants) return;
        participants.reset(ack.participants);
        this.handlers.onParticipants(participants.list());
      },
      () => undefined,
    );
  }

  /** Applies a participant change of `sessionId` when it is ours; shown once the join's list is known. */
  private changeParticipants(sessionId: unknown, apply: (participants: ParticipantList) => void): void {
    const participants = this.participants;
    if (participants === undefined || sessionId !== participants.sessionId) return;
    apply(participants);
    if (participants.known) this.handlers.onParticipants(participants.list());
  }

  /** A PRODUCER span `send <event>` whose context travels in `_otel`; resolves with the hub's ack. */
  private send<T extends object>(event: string, payload: object): Promise<T> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('not connected'));
    const span = tracer.startSpan(`send ${event}`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system.name': 'socket.io', 'messaging.destination.name': event, 'messaging.operation.type': 'send' },
    });
    const message = withTraceContext(payload, trace.setSpan(context.active(), span));
    return (socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, message) as Promise<Ack<T>>).then(
      (ack) => {
        if (!ack || ack.ok !== true) return fail(span, new Error(ack && 'error' in ack ? ack.error : 'no answer'));
        span.end();
        return ack as T;
      },
      (error: unknown) => fail(span, error instanceof Error && /timed out|timeout/i.test(error.message) ? new Error('the hub did not answer in time') : error),
    );
  }

  /** Handles `event` in a CONSUMER span, child of the context the sender put in `_otel`. */
  private consume<T extends object>(socket: Socket, event: string, handle: (payload: T, traceId: string | undefined) => void): void {
    socket.on(event, (raw: unknown) => {
      if (raw === null || typeof raw !== 'object') return;
      const { context: parent, payload } = extractTraceContext(raw as T & { _otel?: unknown });
      const traceId = trace.getSpanContext(parent)?.traceId;
      const span = tracer.startSpan(`process ${event}`, { kind: SpanKind.CONSUMER, attributes: { 'messaging.system.name': 'socket.io', 'messaging.destination.name': event, 'messaging.operation.type': 'process' } }, parent);
      try {
        context.with(trace.setSpan(parent, span), () => handle(payload as T, traceId));
      } finally {
        span.end();
      }
    });
  }
}
