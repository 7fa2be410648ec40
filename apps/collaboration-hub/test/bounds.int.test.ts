// Issue 18, item 5: the hub is bounded. The compiled hub as production runs it (a child process,
// `node --require` the preload, exporting to an in-process OTLP receiver) and real Socket.IO clients on
// 127.0.0.1: the Origin check, connections per address, events per second per connection,
// participants per session, and participant updates that cost each member O(n), not O(n²), as n join.
// Each test prints its figure ([BOUNDS] lines).
import { LIMITS, SOCKET_EVENTS } from '@mcp/contracts';
import type { Participant } from '@mcp/contracts';
import type { OtlpReceiver } from '@mcp/otlp-receiver';
import { appFacts, serviceEntry, spawnService } from '@mcp/test-kit';
import type { ServiceProcess } from '@mcp/test-kit';
import { randomBytes, randomUUID } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { DEV_PAGE_ORIGINS } from '../src/config';
import { WAIT_MS, connectClient, disconnected, joinAndFollow, request, useReceiverAndClients } from './support/hub.harness';
import type { Member } from './support/hub.harness';

let receiver: OtlpReceiver;
useReceiverAndClients((started) => (receiver = started));

/** The compiled hub with its deployed telemetry settings and `env` over its defaults (in-memory adapter). */
function hubWith(env: Record<string, string>): Promise<ServiceProcess> {
  return spawnService(serviceEntry('collaboration-hub'), {
    serviceName: 'collaboration-hub',
    endpoint: receiver.url,
    env: { ...appFacts('collaboration-hub').telemetryEnv, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
  });
}

const figure = (line: string) => process.stdout.write(`[BOUNDS] ${line}\n`);

/** The engine's polling handshake as a browser would send it: status and body (the refusal's reason). */
async function handshake(hub: ServiceProcess, origin?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${hub.url}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { origin } : {}, signal: AbortSignal.timeout(WAIT_MS) });
  return { status: response.status, body: await response.text() };
}

/** Connects with an Origin header on the websocket transport; resolves with the socket or the error. */
function connectFrom(hub: ServiceProcess, origin: string): Promise<Socket | Error> {
  const socket = connect(hub.url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin }, timeout: WAIT_MS });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      resolve(error);
    });
  });
}

describe('Origin', () => {
  it('refuses a browser connection from an origin not configured, accepts the configured ones and non-browser clients', async () => {
    const hub = await hubWith({ SOCKET_CORS_ORIGINS: 'http://app.example.test' });
    const refused = await handshake(hub, 'http://evil.example.test');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ message: 'origin http://evil.example.test is not allowed (SOCKET_CORS_ORIGINS)' });
    expect(await connectFrom(hub, 'http://evil.example.test')).toBeInstanceOf(Error);

    expect((await handshake(hub, 'http://app.example.test')).status).toBe(200);
    const allowed = await connectFrom(hub, 'http://app.example.test');
    expect(allowed).not.toBeInstanceOf(Error);
    (allowed as Socket).close();
    // No Origin: not a web page (browsers always send one), so no site can make its visitors do it.
    expect((await handshake(hub)).status).toBe(200);
    figure('origin: evil.example.test refused 2/2 (polling 403 with the reason, websocket handshake refused); app.example.test 2/2 and no-Origin accepted');
  });

  it('accepts the dev stack\'s page origins by default (frontend :3000, Vite :5173)', async () => {
    const hub = await hubWith({});
    for (const origin of DEV_PAGE_ORIGINS) expect((await handshake(hub, origin)).status, origin).toBe(200);
    expect((await handshake(hub, 'http://localhost:8080')).status).toBe(403);
  });
});

describe('connections per address', () => {
  it('keeps at most SOCKET_MAX_CONNECTIONS_PER_ADDRESS open, also when they all arrive at once, and frees a slot on close', async () => {
    const max = 5;
    const hub = await hubWith({ SOCKET_MAX_CONNECTIONS_PER_ADDRESS: String(max) });
    const attempts = 20;
    const results = await Promise.all(
      Array.from({ length: attempts }, () =>
        connectClient(hub.url).then(
          (socket) => socket,
          (error: Error) => error,
        ),
      ),
    );
    // Some may connect and then be closed by the engine-level count; let those closes land.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const open = results.filter((r): r is Socket => !(r instanceof Error) && r.connected);
    expect(open.length).toBeLessThanOrEqual(max);
    expect(open.length).toBeGreaterThan(0);
    const refusal = await handshake(hub);
    if (open.length === max) {
      expect(refusal.status).toBe(403);
      expect(JSON.parse(refusal.body)).toMatchObject({ message: `too many connections from this address: at most ${max}` });
    }
    figure(`connections: ${attempts} concurrent from one address → ${open.length} open (bound ${max}); the next handshake ${refusal.status} "${JSON.parse(refusal.body).message ?? ''}"`);

    for (const socket of open) socket.close();
    await expect.poll(async () => (await handshake(hub)).status, { timeout: WAIT_MS }).toBe(200);
  });
});

describe('events per second', () => {
  it(`answers events beyond ${LIMITS.socketEventsPerSecond}/s with an ack error, and closes a connection that ignores it, saying why`, async () => {
    const hub = await hubWith({ SOCKET_MAX_EVENTS_PER_SECOND: String(LIMITS.socketEventsPerSecond) });
    const socket = await connectClient(hub.url);
    const closing = new Promise<{ reason: string }>((resolve) => socket.once(SOCKET_EVENTS.connectionClosing, resolve));
    const gone = disconnected(socket);
    const rate = LIMITS.socketEventsPerSecond;
    const burst = (count: number) =>
      Promise.all(
        Array.from({ length: count }, () =>
          (socket.timeout(WAIT_MS).emitWithAck('session:leave', { session_id: 'rate' }) as Promise<{ ok: boolean; error?: string }>).catch(() => ({ ok: false, error: 'no ack' })),
        ),
      );
    // Twice the budget at once: the budget is served, the rest refused (not yet enough to be closed).
    const acks = await burst(2 * rate);
    const accepted = acks.filter((ack) => ack.ok).length;
    const refused = acks.filter((ack) => ack.error === `rate limit: at most ${rate} events per second per connection`).length;
    expect(accepted + refused).toBe(2 * rate);
    // A few tokens may refill while the burst is sent.
    expect(accepted).toBeGreaterThanOrEqual(rate);
    expect(accepted).toBeLessThan(rate + 5);
    expect(socket.connected).toBe(true);
    // Keeping on regardless: told why, then closed.
    void burst(3 * rate);
    expect((await closing).reason).toBe(`rate limit: at most ${rate} events per second per connection: kept sending while refused`);
    expect(await gone).toBe('io server disconnect');
    figure(`events: burst of ${2 * rate} on one connection → ${accepted} acked ok, ${refused} refused with the limit; a connection still sending after ${rate} refusals in a row is sent the reason and disconnected`);
  });

  it('serves a connection that stays within the budget', async () => {
    const hub = await hubWith({ SOCKET_MAX_EVENTS_PER_SECOND: '10' });
    const socket = await connectClient(hub.url);
    for (let i = 0; i < 10; i++) expect(await request(socket, 'session:leave', { session_id: 'calm' })).toEqual({ ok: true });
    expect(socket.connected).toBe(true);
  });
});

describe('participants per session', () => {
  it(`refuses the join beyond ${LIMITS.sessionParticipants} participants with a clear error, and takes one again after a leave`, async () => {
    const hub = await hubWith({ SOCKET_MAX_CONNECTIONS_PER_ADDRESS: '500' });
    const session = `full-${randomUUID()}`;
    const sockets: Socket[] = [];
    for (let i = 0; i < LIMITS.sessionParticipants; i++) {
      const socket = await connectClient(hub.url);
      sockets.push(socket);
      expect(await request(socket, 'session:join', { session_id: session, user_id: `user-${i}` })).toMatchObject({ ok: true });
    }
    const late = await connectClient(hub.url);
    const refusal = await request(late, 'session:join', { session_id: session, user_id: 'late' });
    expect(refusal).toEqual({ ok: false, error: `session_id: the session is full (at most ${LIMITS.sessionParticipants} participants)` });
    await request(sockets[0] as Socket, 'session:leave', { session_id: session });
    expect(await request(late, 'session:join', { session_id: session, user_id: 'late' })).toMatchObject({ ok: true });
    figure(`participants: ${LIMITS.sessionParticipants} joined, join ${LIMITS.sessionParticipants + 1} refused ("${String(refusal['error'])}"), accepted after one left`);
  });
});

describe('participants per session, joining at once', () => {
  it('lets exactly SESSION_MAX_PARTICIPANTS of many concurrent joins in', async () => {
    const max = 5;
    const hub = await hubWith({ SESSION_MAX_PARTICIPANTS: String(max) });
    const session = `rush-${randomUUID()}`;
    const sockets = await Promise.all(Array.from({ length: 12 }, () => connectClient(hub.url)));
    const acks = await Promise.all(sockets.map((socket, i) => request<{ ok: boolean }>(socket, 'session:join', { session_id: session, user_id: `rusher-${i}` })));
    expect(acks.filter((ack) => ack.ok)).toHaveLength(max);
    figure(`participants: 12 concurrent joins, bound ${max} → ${acks.filter((ack) => ack.ok).length} in`);
  });
});

describe('participant updates', () => {
  /** Participant entries in a join's ack or a participant event: a whole list counts its length. */
  const entriesIn = (payload: Record<string, unknown> | undefined): number =>
    Array.isArray(payload?.['participants']) ? payload['participants'].length : typeof payload?.['participant'] === 'object' || typeof payload?.['user_id'] === 'string' ? 1 : 0;

  /** What one member received about participants: its join's ack and every `session:participant*` event. */
  function costOf(member: Member): { messages: number; entries: number; bytes: number } {
    const payloads = [member.ack as Record<string, unknown>, ...member.received.map(({ payload }) => payload)];
    return {
      messages: payloads.length,
      entries: payloads.reduce((sum, payload) => sum + entriesIn(payload), 0),
      bytes: payloads.reduce((sum, payload) => sum + JSON.stringify(payload).length, 0),
    };
  }

  /** Resolves once no member received anything for `quietMs` (every update sent has arrived). */
  async function settled(members: Member[], quietMs = 300): Promise<void> {
    const count = (): number => members.reduce((sum, member) => sum + member.received.length, 0);
    let last = -1;
    await expect.poll(() => {
      const now = count();
      const quiet = now === last;
      last = now;
      return quiet;
    }, { timeout: WAIT_MS, interval: quietMs }).toBe(true);
  }

  const sum = (costs: Array<{ messages: number; entries: number; bytes: number }>, key: 'messages' | 'entries' | 'bytes'): number => costs.reduce((total, cost) => total + cost[key], 0);

  it('sends each member its join\'s list once and one entry per change after it: linear per member as 60 join one after another, and every copy of the list right', async () => {
    const n = 60;
    const hub = await hubWith({ SOCKET_MAX_CONNECTIONS_PER_ADDRESS: '500' });
    const session = `updates-${randomUUID()}`;
    const sockets: Socket[] = [];
    const members: Member[] = [];
    // The last joiner's join carries its own trace: the others' update about it must continue it.
    const traceId = randomBytes(16).toString('hex');
    for (let i = 0; i < n; i++) {
      const socket = await connectClient(hub.url);
      sockets.push(socket);
      const otel = i === n - 1 ? { _otel: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } } : {};
      const member = await joinAndFollow(socket, session, `member-${i}`, otel);
      expect(member.ack).toMatchObject({ ok: true });
      members.push(member);
    }
    await settled(members);
    const costs = members.map(costOf);
    const [first] = costs;
    figure(
      `updates: ${n} joins one after another → ${sum(costs, 'messages')} messages, ${sum(costs, 'entries')} participant entries, ${sum(costs, 'bytes')} bytes of JSON to all members ` +
        `(acks included); the first member: ${first?.messages} messages, ${first?.entries} entries; the most any member got: ${Math.max(...costs.map((c) => c.entries))} entries`,
    );
    // Linear per member: one list of at most n (its join's ack) plus at most one entry per later join.
    // A whole list to every member on every join gives the first member ~n²/2 entries (1 830 for 60).
    for (const [i, cost] of costs.entries()) {
      expect(cost.entries, `member ${i}`).toBeLessThanOrEqual(2 * n);
      expect(cost.messages, `member ${i}`).toBeLessThanOrEqual(n + 1);
    }
    expect(sum(costs, 'entries')).toBeLessThanOrEqual(n * n + n);

    // Every member's copy, built as the page builds it, is the hub's list: all 60, in its order.
    const list = await listOf(hub, session);
    expect(list).toHaveLength(n);
    await expect.poll(() => members.filter((member) => JSON.stringify(member.view()) !== JSON.stringify(list)).length, { timeout: WAIT_MS }).toBe(0);
    // The update about the last joiner continues the trace of its join.
    for (const member of members.slice(0, -1)) {
      const update = member.received.find(({ event, payload }) => event === SOCKET_EVENTS.sessionParticipantJoined && (payload['participant'] as Participant).user_id === `member-${n - 1}`);
      expect(String((update?.payload['_otel'] as Record<string, unknown> | undefined)?.['traceparent'])).toContain(`-${traceId}-`);
    }

    // Half of them leave, one after another: every one still there is told each, one entry per leave.
    const before = costs.map((cost) => cost.entries);
    for (const socket of sockets.slice(0, n / 2)) {
      socket.disconnect();
      await disconnected(socket);
    }
    const staying = members.slice(n / 2);
    await expect.poll(async () => (await listOf(hub, session)).length, { timeout: WAIT_MS }).toBe(n / 2);
    const remaining = await listOf(hub, session);
    expect(remaining).toEqual(list.slice(n / 2));
    await expect.poll(() => staying.filter((member) => JSON.stringify(member.view()) !== JSON.stringify(remaining)).length, { timeout: WAIT_MS }).toBe(0);
    await settled(staying);
    for (const [i, member] of staying.entries()) expect(costOf(member).entries - (before[n / 2 + i] ?? 0), `member ${n / 2 + i}`).toBe(n / 2);
    figure(`updates: then ${n / 2} leave one after another → each of the ${n / 2} still there gets ${n / 2} entries (one per leave); every copy equals GET /sessions/:id`);
  });
});

/** GET /sessions/:id: the hub's list. */
async function listOf(hub: ServiceProcess, sessionId: string): Promise<Participant[]> {
  const response = await fetch(`${hub.url}/sessions/${encodeURIComponent(sessionId)}`, { signal: AbortSignal.timeout(WAIT_MS) });
  return ((await response.json()) as { participants: Participant[] }).participants;
}
