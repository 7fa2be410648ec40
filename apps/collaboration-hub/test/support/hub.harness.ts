import { SOCKET_EVENTS } from '@mcp/contracts';
import type { Participant, SessionParticipantJoinedBroadcast, SessionParticipantLeftBroadcast } from '@mcp/contracts';
import { startOtlpReceiver } from '@mcp/otlp-receiver';
import type { OtlpReceiver } from '@mcp/otlp-receiver';
import { createDrainer, listen, loggerOptions, parseConfig } from '@mcp/service-kit';
import { useProcessCleanup } from '@mcp/test-kit';
import pino from 'pino';
import type { Logger } from '@mcp/service-kit';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { io as connect } from 'socket.io-client';
import type { Socket as ClientSocket } from 'socket.io-client';
import { createHub } from '../../src/app';
import type { Hub } from '../../src/app';
import { ConfigSchema } from '../../src/config';
import { connectRedisPubSub } from '../../src/infra/redis-pubsub';
import type { RedisPubSub } from '../../src/infra/redis-pubsub';
import { CollaborationMetrics } from '../../src/services/collaboration.metrics';
import { participantList } from '../../src/services/session-registry.service';

export const REDIS_URL = 'redis://127.0.0.1:6379';
/** Bound of every wait in these tests: nothing here should take more than a fraction of it. */
export const WAIT_MS = 5_000;

export interface TestHub {
  hub: Hub;
  port: number;
  url: string;
  secret: string;
  /** Every log line the hub wrote (JSON), for assertions on what it logs and what it never does. */
  logText(): string;
  redis: RedisPubSub | undefined;
  close(): Promise<void>;
}

export interface StartHubOptions {
  /** Redis adapter channel prefix; instances with the same key share rooms. Omitted: in-memory adapter. */
  redisKey?: string;
  secret?: string;
  env?: Record<string, string>;
  /** How long start-up waits for Redis (default WAIT_MS). */
  redisConnectTimeoutMs?: number;
}

/** A unique adapter key, so that parallel test files and runs never see each other's rooms. */
export function uniqueRedisKey(): string {
  return `hub-test-${randomUUID()}`;
}

/** Builds the hub as main.ts does (on 127.0.0.1, port 0) and returns it listening. */
export async function startHub(options: StartHubOptions = {}): Promise<TestHub> {
  const secret = options.secret ?? `secret-${randomUUID()}`;
  const config = parseConfig(ConfigSchema, {
    PORT: '0',
    HOST: '127.0.0.1',
    INTERNAL_API_SECRET: secret,
    LOG_LEVEL: 'debug',
    // The bounds are tested by bounds.int.test.ts with their real values; elsewhere a test sends
    // dozens of events in a row.
    SOCKET_MAX_EVENTS_PER_SECOND: '100000',
    ...(options.redisKey ? { REDIS_URL, REDIS_ADAPTER_KEY: options.redisKey } : {}),
    ...options.env,
  });
  let logs = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs += chunk.toString('utf8');
      callback();
    },
  });
  const logger: Logger = pino(loggerOptions('collaboration-hub', config.LOG_LEVEL), sink);
  const redis = config.REDIS_URL ? await connectRedisPubSub(config.REDIS_URL, logger, options.redisConnectTimeoutMs ?? WAIT_MS) : undefined;
  const hub = createHub({
    config,
    logger,
    metrics: new CollaborationMetrics(),
    ...(redis ? { adapter: redis.adapter({ key: config.REDIS_ADAPTER_KEY, requestsTimeoutMs: config.ADAPTER_REQUESTS_TIMEOUT_MS }), readinessChecks: { redis: () => redis.check() } } : {}),
  });
  const drainer = createDrainer(hub.server);
  const port = await listen(hub.server, 0, '127.0.0.1');
  let closed = false;
  return {
    hub,
    port,
    url: `http://127.0.0.1:${port}`,
    secret,
    logText: () => logs,
    redis,
    async close() {
      if (closed) return;
      closed = true;
      await hub.closeSockets(1_000);
      await drainer.drain(1_000);
      await redis?.close(1_000);
    },
  };
}

const clients = new Set<ClientSocket>();

/** A socket.io-client on the websocket transport, connected (rejects on a connect error). */
export function connectClient(url: string, auth: Record<string, unknown> = {}): Promise<ClientSocket> {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth, timeout: WAIT_MS });
  clients.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => reject(error));
  });
}

/** Disconnects every client the tests opened. */
export function closeClients(): void {
  for (const socket of clients) socket.disconnect();
  clients.clear();
}

/**
 * For a file that runs the compiled hub as a child process: one in-process OTLP receiver for all its
 * tests (handed to `use` before the first runs, closed after the last), the clients closed after each
 * test, and the child processes stopped.
 */
export function useReceiverAndClients(use: (receiver: OtlpReceiver) => void): void {
  useProcessCleanup();
  let receiver: OtlpReceiver | undefined;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    use(receiver);
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    await receiver?.close();
  });
}

/** Emits with an ack and resolves with the ack's answer (rejects after WAIT_MS without one). */
export function request<T = Record<string, unknown>>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(WAIT_MS).emitWithAck(event, ...args) as Promise<T>;
}

/** Resolves with the next `event` received that matches `predicate`. */
export function nextEvent<T = Record<string, unknown>>(socket: ClientSocket, event: string, predicate: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = (payload: T): void => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** Every `event` the socket receives from now on, in order. */
export function recordEvents<T = Record<string, unknown>>(socket: ClientSocket, event: string): T[] {
  const received: T[] = [];
  socket.on(event, (payload: T) => received.push(payload));
  return received;
}

/**
 * The participant changes the socket receives from now on, in order: `+user` for
 * `session:participant_joined`, `-user` for `session:participant_left`, prefixed by the session when
 * `withSession` (`<session> +user`).
 */
export function recordParticipantChanges(socket: ClientSocket, withSession = false): string[] {
  const changes: string[] = [];
  const record = (sessionId: string, change: string): void => void changes.push(withSession ? `${sessionId} ${change}` : change);
  socket.on(SOCKET_EVENTS.sessionParticipantJoined, (update: SessionParticipantJoinedBroadcast) => record(update.session_id, `+${update.participant.user_id}`));
  socket.on(SOCKET_EVENTS.sessionParticipantLeft, (update: SessionParticipantLeftBroadcast) => record(update.session_id, `-${update.user_id}`));
  return changes;
}

/** A member of a session, as a page follows it: see {@link joinAndFollow}. */
export interface Member {
  ack: { ok: boolean; participants?: Participant[]; error?: string };
  /** Every event about participants the socket received since the join was sent (any `session:participant*`), in order. */
  received: Array<{ event: string; payload: Record<string, unknown> }>;
  /** The member's copy of the list: the ack's, then every change received applied in order (as apps/web's ParticipantList). */
  view(): Participant[];
}

/**
 * Joins `sessionId` as `userId` (`extra` goes into the payload, e.g. `_otel`) and follows the list as
 * the page does: changes that arrive before the ack are applied after its list.
 */
export async function joinAndFollow(socket: ClientSocket, sessionId: string, userId: string, extra: Record<string, unknown> = {}): Promise<Member> {
  const received: Member['received'] = [];
  socket.onAny((event: string, payload: Record<string, unknown>) => {
    if (event.startsWith('session:participant')) received.push({ event, payload });
  });
  const ack = await request<Member['ack']>(socket, 'session:join', { session_id: sessionId, user_id: userId, ...extra });
  return {
    ack,
    received,
    view() {
      const byUser = new Map((ack.participants ?? []).map((p) => [p.user_id, p]));
      for (const { event, payload } of received) {
        if (payload['session_id'] !== sessionId) continue;
        if (event === SOCKET_EVENTS.sessionParticipantJoined) {
          const { participant } = payload as unknown as SessionParticipantJoinedBroadcast;
          byUser.set(participant.user_id, { user_id: participant.user_id, joined_at: participant.joined_at });
        } else if (event === SOCKET_EVENTS.sessionParticipantLeft) {
          byUser.delete((payload as unknown as SessionParticipantLeftBroadcast).user_id);
        }
      }
      return participantList([...byUser.values()]);
    },
  };
}

/** Resolves when the socket is disconnected, with the reason. */
export function disconnected(socket: ClientSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    if (socket.disconnected) return resolve('already disconnected');
    const timer = setTimeout(() => reject(new Error(`still connected after ${WAIT_MS} ms`)), WAIT_MS);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** A valid `WorkflowProgressEvent`. */
export function progressEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'step.completed',
    progress_id: randomUUID().slice(0, 16),
    workflow_type: 'summarize',
    status: 'running',
    step: { name: 'infer', type: 'model_inference', index: 0, duration_ms: 12 },
    completed_steps: 1,
    total_steps: 3,
    at: new Date().toISOString(),
    ...overrides,
  };
}

/** POSTs a JSON body to the internal endpoint of session `sessionId`. */
export function postEvent(url: string, sessionId: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/internal/sessions/${encodeURIComponent(sessionId)}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
}
