import { LIMITS } from '@mcp/contracts';
import type { Participant, SessionMessageBroadcast, SessionParticipantJoinedBroadcast, SessionParticipantLeftBroadcast } from '@mcp/contracts';
import { randomUUID } from 'node:crypto';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SESSIONS_PER_CONNECTION } from '../src/services/collaboration.service';
import { WAIT_MS, closeClients, connectClient, disconnected, nextEvent, recordEvents, recordParticipantChanges, request, startHub } from './support/hub.harness';
import type { TestHub } from './support/hub.harness';

type AckBody = { ok: boolean; error?: string; participants?: Participant[] };

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub();
});
afterEach(() => closeClients());
afterAll(async () => {
  await hub.close();
});

const newSession = (): string => `s-${randomUUID()}`;

async function joined(sessionId: string, userId: string): Promise<ClientSocket> {
  const socket = await connectClient(hub.url);
  const ack = await request<AckBody>(socket, 'session:join', { session_id: sessionId, user_id: userId });
  expect(ack).toMatchObject({ ok: true });
  return socket;
}

async function participantsOverHttp(sessionId: string): Promise<Participant[]> {
  const response = await fetch(`${hub.url}/sessions/${sessionId}`, { signal: AbortSignal.timeout(WAIT_MS) });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { session_id: string; participants: Participant[] };
  expect(body.session_id).toBe(sessionId);
  return body.participants;
}

describe('session:join / session:leave / participant changes', () => {
  it('acks a join with the participants and tells the others of every join and leave, one participant each', async () => {
    const session = newSession();
    const alice = await connectClient(hub.url);
    const aliceChanges = recordParticipantChanges(alice);

    const first = await request<AckBody>(alice, 'session:join', { session_id: session, user_id: 'alice' });
    expect(first.ok).toBe(true);
    expect(first.participants?.map((p) => p.user_id)).toEqual(['alice']);
    expect(Date.parse(first.participants?.[0]?.joined_at ?? '')).not.toBeNaN();

    const bob = await connectClient(hub.url);
    const bobChanges = recordParticipantChanges(bob);
    const aliceSeesBob = nextEvent<SessionParticipantJoinedBroadcast>(alice, 'session:participant_joined');
    const second = await request<AckBody>(bob, 'session:join', { session_id: session, user_id: 'bob' });
    expect(second.participants?.map((p) => p.user_id)).toEqual(['alice', 'bob']);
    // alice gets bob's entry as the list has it; bob, who has the list in his ack, is not told of himself.
    expect(await aliceSeesBob).toMatchObject({ session_id: session, participant: second.participants?.[1] });
    expect(await participantsOverHttp(session)).toEqual(second.participants);

    const aliceSeesBobLeave = nextEvent<SessionParticipantLeftBroadcast>(alice, 'session:participant_left');
    expect(await request<AckBody>(bob, 'session:leave', { session_id: session })).toEqual({ ok: true });
    expect(await aliceSeesBobLeave).toMatchObject({ session_id: session, user_id: 'bob' });
    expect((await participantsOverHttp(session)).map((p) => p.user_id)).toEqual(['alice']);
    // One change per join and leave of someone else; nothing about one's own join.
    expect(aliceChanges).toEqual(['+bob', '-bob']);
    expect(bobChanges).toEqual([]);
  });

  it('joining twice changes nothing; leaving a session one is not in is a no-op', async () => {
    const session = newSession();
    const socket = await joined(session, 'carol');
    const again = await request<AckBody>(socket, 'session:join', { session_id: session, user_id: 'carol' });
    expect(again.participants?.map((p) => p.user_id)).toEqual(['carol']);
    expect(await request<AckBody>(socket, 'session:join', { session_id: session, user_id: 'mallory' })).toEqual({
      ok: false,
      error: 'user_id: this connection already joined the session as another user',
    });
    expect(await request<AckBody>(socket, 'session:leave', { session_id: newSession() })).toEqual({ ok: true });
  });

  it('lists a user connected twice once, since their first join, and tells the room only what changes the list', async () => {
    const session = newSession();
    const watcher = await joined(session, 'walt');
    const changes = recordParticipantChanges(watcher);
    const entries = recordEvents<SessionParticipantJoinedBroadcast>(watcher, 'session:participant_joined');
    const first = await joined(session, 'dave');
    // A later millisecond for the second connection, so that its joined_at differs from the first's.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await joined(session, 'dave');
    const list = await participantsOverHttp(session);
    expect(list.map((p) => p.user_id)).toEqual(['walt', 'dave']);
    const [, daveFirst] = list;
    // dave's first connection gone: his entry is now his second connection's.
    first.disconnect();
    await expect.poll(() => changes, { timeout: WAIT_MS }).toEqual(['+dave', '+dave']);
    const [, daveNow] = await participantsOverHttp(session);
    expect(daveNow?.joined_at).not.toBe(daveFirst?.joined_at);
    expect(entries.map((update) => update.participant)).toEqual([daveFirst, daveNow]);
    second.disconnect();
    await expect.poll(() => changes, { timeout: WAIT_MS }).toEqual(['+dave', '+dave', '-dave']);
    expect((await participantsOverHttp(session)).map((p) => p.user_id)).toEqual(['walt']);
  });

  it('bounds the sessions one connection may be in', async () => {
    const socket = await connectClient(hub.url);
    for (let i = 0; i < MAX_SESSIONS_PER_CONNECTION; i++) {
      expect(await request<AckBody>(socket, 'session:join', { session_id: `bound-${i}-${randomUUID()}`, user_id: 'erin' })).toMatchObject({ ok: true });
    }
    expect(await request<AckBody>(socket, 'session:join', { session_id: newSession(), user_id: 'erin' })).toEqual({
      ok: false,
      error: `session_id: a connection may be in at most ${MAX_SESSIONS_PER_CONNECTION} sessions`,
    });
  });

  it('on disconnect removes the connection from every session and tells each room', async () => {
    const [one, two] = [newSession(), newSession()];
    const frank = await connectClient(hub.url);
    await request(frank, 'session:join', { session_id: one, user_id: 'frank' });
    await request(frank, 'session:join', { session_id: two, user_id: 'frank' });
    const grace = await joined(one, 'grace');
    await request(grace, 'session:join', { session_id: two, user_id: 'grace' });

    const changes = recordParticipantChanges(grace, true);
    frank.disconnect();
    await expect.poll(() => [...changes].sort(), { timeout: WAIT_MS }).toEqual([`${one} -frank`, `${two} -frank`].sort());
    expect((await participantsOverHttp(one)).map((p) => p.user_id)).toEqual(['grace']);

    grace.disconnect();
    await disconnected(grace);
    // The last participant gone: the session is empty (its cleanup ran before the next request is served).
    await expect.poll(() => participantsOverHttp(two), { timeout: WAIT_MS }).toEqual([]);
  });
});

describe('session:message', () => {
  it('broadcasts to everyone in the room, sender included, and acks', async () => {
    const session = newSession();
    const henry = await joined(session, 'henry');
    const iris = await joined(session, 'iris');
    const outsiderSession = newSession();
    const outsider = await joined(outsiderSession, 'judy');
    const outsiderMessages = recordEvents(outsider, 'session:message');

    const irisGets = nextEvent<SessionMessageBroadcast>(iris, 'session:message');
    const henryGets = nextEvent<SessionMessageBroadcast>(henry, 'session:message');
    expect(await request(henry, 'session:message', { session_id: session, text: 'hello room' })).toEqual({ ok: true });
    const message = await irisGets;
    expect(message).toEqual({ session_id: session, user_id: 'henry', text: 'hello room', at: expect.any(String) });
    expect(Date.parse(message.at)).not.toBeNaN();
    expect(await henryGets).toEqual(message);

    // The outsider's own room works, and the first message it sees is its own: the other room's never reached it.
    const own = nextEvent<SessionMessageBroadcast>(outsider, 'session:message');
    await request(outsider, 'session:message', { session_id: outsiderSession, text: 'mine' });
    expect((await own).text).toBe('mine');
    expect(outsiderMessages.map((m) => m.text)).toEqual(['mine']);
  });

  it('broadcasts a message sent without an ack too', async () => {
    const session = newSession();
    const sender = await joined(session, 'kim');
    const receiver = await joined(session, 'lee');
    const got = nextEvent<SessionMessageBroadcast>(receiver, 'session:message');
    sender.emit('session:message', { session_id: session, text: 'fire and forget' });
    expect((await got).text).toBe('fire and forget');
  });

  it('refuses a message to a session the sender has not joined', async () => {
    const session = newSession();
    const member = await joined(session, 'mia');
    const messages = recordEvents(member, 'session:message');
    const stranger = await connectClient(hub.url);
    expect(await request(stranger, 'session:message', { session_id: session, text: 'let me in' })).toEqual({
      ok: false,
      error: 'session_id: join the session before sending messages to it',
    });
    const sentinel = nextEvent<SessionMessageBroadcast>(member, 'session:message');
    await request(member, 'session:message', { session_id: session, text: 'sentinel' });
    expect((await sentinel).text).toBe('sentinel');
    expect(messages.map((m) => m.text)).toEqual(['sentinel']);
  });
});

describe('bad payloads', () => {
  const tooLong = 'x'.repeat(LIMITS.messageChars + 1);
  const cases: Array<{ name: string; event: string; args: unknown[]; error: string | RegExp }> = [
    { name: 'join: missing user_id', event: 'session:join', args: [{ session_id: 'S' }], error: /^user_id: / },
    { name: 'join: missing everything', event: 'session:join', args: [{}], error: /^session_id: .*; user_id: / },
    { name: 'join: session_id a number', event: 'session:join', args: [{ session_id: 42, user_id: 'u' }], error: /^session_id: .*expected string/ },
    { name: 'join: empty session_id', event: 'session:join', args: [{ session_id: '  ', user_id: 'u' }], error: 'session_id: must not be empty' },
    { name: 'join: over-long user_id', event: 'session:join', args: [{ session_id: 'S', user_id: 'u'.repeat(LIMITS.identifierChars + 1) }], error: `user_id: must be at most ${LIMITS.identifierChars} characters` },
    { name: 'join: unknown field', event: 'session:join', args: [{ session_id: 'S', user_id: 'u', role: 'admin' }], error: /^payload: .*role/ },
    { name: 'join: a string', event: 'session:join', args: ['S'], error: /^payload: .*expected object/ },
    { name: 'join: an array', event: 'session:join', args: [['S', 'u']], error: /^payload: .*expected object/ },
    { name: 'join: null', event: 'session:join', args: [null], error: /^payload: .*expected object/ },
    { name: 'join: no payload at all', event: 'session:join', args: [], error: /^payload: .*expected object/ },
    { name: 'leave: session_id missing', event: 'session:leave', args: [{}], error: /^session_id: / },
    { name: 'leave: session_id an object', event: 'session:leave', args: [{ session_id: { $ne: '' } }], error: /^session_id: .*expected string/ },
    { name: 'message: text missing', event: 'session:message', args: [{ session_id: 'S' }], error: /^text: / },
    { name: 'message: text a number', event: 'session:message', args: [{ session_id: 'S', text: 7 }], error: /^text: .*expected string/ },
    { name: 'message: empty text', event: 'session:message', args: [{ session_id: 'S', text: '' }], error: 'text: must not be empty' },
    { name: 'message: text over the limit', event: 'session:message', args: [{ session_id: 'S', text: tooLong }], error: `text: must be at most ${LIMITS.messageChars} characters` },
    { name: 'message: a number', event: 'session:message', args: [12], error: /^payload: .*expected object/ },
  ];

  it.each(cases)('$name → ack error, nothing broadcast', async ({ event, args, error }) => {
    const session = 'S';
    const member = await joined(session, 'watcher');
    const messages = recordEvents<SessionMessageBroadcast>(member, 'session:message');
    const changes = recordParticipantChanges(member);
    const offender = await joined(session, 'offender');

    const ack = await request<AckBody>(offender, event, ...args);
    expect(ack.ok).toBe(false);
    if (typeof error === 'string') expect(ack.error).toBe(error);
    else expect(ack.error).toMatch(error);

    // A sentinel from the same connection: had the bad event been broadcast, it would arrive first.
    const sentinel = nextEvent<SessionMessageBroadcast>(member, 'session:message');
    expect(await request(offender, 'session:message', { session_id: session, text: 'sentinel' })).toEqual({ ok: true });
    await sentinel;
    expect(messages.map((m) => m.text)).toEqual(['sentinel']);
    // Only the offender's own join reached the watcher before the sentinel.
    expect(changes).toEqual(['+offender']);
    await request(offender, 'session:leave', { session_id: session });
    await request(member, 'session:leave', { session_id: session });
  });

  it('ignores bad payloads sent without an ack, and the connection keeps working', async () => {
    const session = newSession();
    const member = await joined(session, 'nina');
    const messages = recordEvents<SessionMessageBroadcast>(member, 'session:message');
    const offender = await joined(session, 'oscar');
    offender.emit('session:message', 'not an object');
    offender.emit('session:message', { session_id: session, text: tooLong });
    offender.emit('session:join', { session_id: 3 });
    offender.emit('session:leave');
    offender.emit('session:message', { session_id: session, text: 'ok' }, 'not a callback');
    expect(await request(offender, 'session:message', { session_id: session, text: 'still here' })).toEqual({ ok: true });
    await expect.poll(() => messages.map((m) => m.text), { timeout: WAIT_MS }).toEqual(['ok', 'still here']);
  });

  it('drops a packet over maxHttpBufferSize by closing that connection only', async () => {
    const session = newSession();
    const member = await joined(session, 'pat');
    const messages = recordEvents<SessionMessageBroadcast>(member, 'session:message');
    const offender = await joined(session, 'quinn');
    const leaveSeen = nextEvent<SessionParticipantLeftBroadcast>(member, 'session:participant_left');

    offender.emit('session:message', { session_id: session, text: 'y'.repeat(LIMITS.socketPacketBytes + 1) }, () => undefined);
    expect(await disconnected(offender)).toMatch(/transport (close|error)/);
    // The hub cleaned up after it and still serves everyone else.
    expect((await leaveSeen).user_id).toBe('quinn');
    expect((await participantsOverHttp(session)).map((p) => p.user_id)).toEqual(['pat']);
    expect(await request(member, 'session:message', { session_id: session, text: 'after' })).toEqual({ ok: true });
    await expect.poll(() => messages.map((m) => m.text), { timeout: WAIT_MS }).toEqual(['after']);
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
  });

  it('ignores a client-supplied _otel that is not trace context', async () => {
    const session = newSession();
    const socket = await connectClient(hub.url);
    const ack = await request<AckBody>(socket, 'session:join', { session_id: session, user_id: 'rae', _otel: { traceparent: 'garbage', evil: 'x'.repeat(10_000) } });
    expect(ack.ok).toBe(true);
    const broken = await request<AckBody>(socket, 'session:message', { session_id: session, text: 'hi', _otel: 'not an object' });
    expect(broken.ok).toBe(true);
  });
});
