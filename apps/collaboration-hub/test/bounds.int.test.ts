// Issue 18, item 5: the hub is bounded. Real Socket.IO clients against the hub built as main.ts
// builds it, on 127.0.0.1: the Origin check, connections per address, events per second per
// connection, participants per session, and participant broadcasts that no longer grow as n³.
// Each test prints its figure ([BOUNDS] lines).
import { LIMITS, SOCKET_EVENTS, type SessionParticipantsBroadcast } from '@mcp/contracts';
import { randomUUID } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_PAGE_ORIGINS } from '../src/config';
import { WAIT_MS, closeClients, connectClient, disconnected, request, startHub, type TestHub } from './support/hub.harness';

const hubs: TestHub[] = [];
afterEach(async () => {
  closeClients();
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

async function hubWith(env: Record<string, string>): Promise<TestHub> {
  const hub = await startHub({ env });
  hubs.push(hub);
  return hub;
}

const figure = (line: string) => process.stdout.write(`[BOUNDS] ${line}\n`);

/** The engine's polling handshake as a browser would send it: status and body (the refusal's reason). */
async function handshake(hub: TestHub, origin?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${hub.url}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { origin } : {}, signal: AbortSignal.timeout(WAIT_MS) });
  return { status: response.status, body: await response.text() };
}

/** Connects with an Origin header on the websocket transport; resolves with the socket or the error. */
function connectFrom(hub: TestHub, origin: string): Promise<Socket | Error> {
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

describe('participant broadcasts', () => {
  /** n clients join one session one after another; what every member received in session:participants. */
  async function joinBurst(intervalMs: number, n: number): Promise<{ messages: number; entries: number; finalLists: number[] }> {
    const hub = await hubWith({ SOCKET_MAX_CONNECTIONS_PER_ADDRESS: '500', PARTICIPANTS_BROADCAST_INTERVAL_MS: String(intervalMs) });
    const session = `burst-${randomUUID()}`;
    const received: SessionParticipantsBroadcast[][] = [];
    for (let i = 0; i < n; i++) {
      const socket = await connectClient(hub.url);
      const mine: SessionParticipantsBroadcast[] = [];
      received.push(mine);
      socket.on('session:participants', (update: SessionParticipantsBroadcast) => mine.push(update));
      expect(await request(socket, 'session:join', { session_id: session, user_id: `member-${i}` })).toMatchObject({ ok: true });
    }
    // Every member ends up with the whole list (the trailing broadcast comes within one interval).
    await expect.poll(() => received.every((mine) => mine.at(-1)?.participants.length === n), { timeout: WAIT_MS }).toBe(true);
    const all = received.flat();
    closeClients();
    return { messages: all.length, entries: all.reduce((sum, update) => sum + update.participants.length, 0), finalLists: received.map((mine) => mine.at(-1)?.participants.length ?? 0) };
  }

  it('coalesces the list broadcasts of a burst of joins: far fewer entries sent than one full list per join', async () => {
    const n = 60;
    // Interval 1 ms: every join broadcasts the whole list to the whole room, as the hub did before.
    const perJoin = await joinBurst(1, n);
    const coalesced = await joinBurst(250, n);
    expect(perJoin.messages).toBeGreaterThan(0.9 * ((n * (n + 1)) / 2));
    expect(coalesced.finalLists).toEqual(Array(n).fill(n));
    expect(coalesced.entries).toBeLessThan(perJoin.entries / 2);
    figure(
      `broadcasts: ${n} joins, one list per join: ${perJoin.messages} messages, ${perJoin.entries} entries (≈ n³/3); ` +
        `at most one per 250 ms: ${coalesced.messages} messages, ${coalesced.entries} entries (${(perJoin.entries / coalesced.entries).toFixed(1)}× fewer); every member's last list has all ${n}`,
    );
  });
});
