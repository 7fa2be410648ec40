import type { Participant, SessionMessageBroadcast, SessionParticipantJoinedBroadcast, SessionParticipantLeftBroadcast } from '@mcp/contracts';
import { randomUUID } from 'node:crypto';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WAIT_MS, closeClients, connectClient, joinAndFollow, nextEvent, postEvent, progressEvent, recordParticipantChanges, request, startHub, uniqueRedisKey } from './support/hub.harness';
import type { TestHub } from './support/hub.harness';

// Two hub instances on the real Redis of this machine, sharing rooms through @socket.io/redis-adapter.
// The adapter key is unique per run, so parallel test files and runs never see each other's rooms.
let east: TestHub;
let west: TestHub;
let loner: TestHub;
beforeAll(async () => {
  const key = uniqueRedisKey();
  const secret = `secret-${randomUUID()}`;
  [east, west] = await Promise.all([startHub({ redisKey: key, secret }), startHub({ redisKey: key, secret })]);
  // Same Redis, another key: must never see the others' rooms.
  loner = await startHub({ redisKey: uniqueRedisKey(), secret });
});
afterEach(() => closeClients());
afterAll(async () => {
  await Promise.all([east?.close(), west?.close(), loner?.close()]);
});

type JoinAck = { ok: boolean; participants: Participant[] };
const names = (participants: Participant[]): string[] => participants.map((p) => p.user_id).sort();

async function listOn(hub: TestHub, sessionId: string): Promise<Participant[]> {
  const response = await fetch(`${hub.url}/sessions/${sessionId}`, { signal: AbortSignal.timeout(WAIT_MS) });
  return ((await response.json()) as { participants: Participant[] }).participants;
}

async function participantsOn(hub: TestHub, sessionId: string): Promise<string[]> {
  return names(await listOn(hub, sessionId));
}

describe('two hub instances on one Redis', () => {
  it('is ready when Redis answers', async () => {
    const response = await fetch(`${east.url}/ready`, { signal: AbortSignal.timeout(WAIT_MS) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true });
    expect(east.logText()).toContain('"dependencies":{"redis":"ok"},"msg":"ready: every dependency answers"');
  });

  it('lists participants, relays messages and workflow:progress across instances', async () => {
    const session = `s-${randomUUID()}`;
    const onEast = await connectClient(east.url);
    const onWest = await connectClient(west.url);
    const onLoner = await connectClient(loner.url);

    expect(names((await request<JoinAck>(onEast, 'session:join', { session_id: session, user_id: 'east-user' })).participants)).toEqual(['east-user']);
    const eastSeesWest = nextEvent<SessionParticipantJoinedBroadcast>(onEast, 'session:participant_joined');
    // West's join ack lists the participant connected to east; east's client is told of west's.
    const westJoin = await request<JoinAck>(onWest, 'session:join', { session_id: session, user_id: 'west-user' });
    expect(names(westJoin.participants)).toEqual(['east-user', 'west-user']);
    expect((await eastSeesWest).participant).toEqual(westJoin.participants.find((p) => p.user_id === 'west-user'));
    expect(await participantsOn(east, session)).toEqual(['east-user', 'west-user']);
    expect(await participantsOn(west, session)).toEqual(['east-user', 'west-user']);
    expect(names((await request<JoinAck>(onLoner, 'session:join', { session_id: session, user_id: 'loner' })).participants)).toEqual(['loner']);

    // A message sent on east reaches the client on west.
    const westGetsMessage = nextEvent<SessionMessageBroadcast>(onWest, 'session:message');
    expect(await request(onEast, 'session:message', { session_id: session, text: 'across the cluster' })).toEqual({ ok: true });
    expect(await westGetsMessage).toMatchObject({ session_id: session, user_id: 'east-user', text: 'across the cluster' });

    // A workflow:progress event posted to east reaches the client on west; both connections are counted.
    const event = progressEvent();
    const westGetsProgress = nextEvent(onWest, 'workflow:progress');
    const response = await postEvent(east.url, session, event, { 'x-internal-secret': east.secret });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ delivered_to: 2 });
    expect(await westGetsProgress).toEqual(JSON.parse(JSON.stringify(event)));

    // A client disconnecting from west: east's client learns it.
    const eastSeesLeave = nextEvent<SessionParticipantLeftBroadcast>(onEast, 'session:participant_left');
    onWest.disconnect();
    expect((await eastSeesLeave).user_id).toBe('west-user');
    expect(await participantsOn(west, session)).toEqual(['east-user']);

    // The hub with another key saw none of it.
    const lonerMessage = nextEvent<SessionMessageBroadcast>(onLoner, 'session:message');
    await request(onLoner, 'session:message', { session_id: session, text: 'alone' });
    expect((await lonerMessage).text).toBe('alone');
    expect(await participantsOn(loner, session)).toEqual(['loner']);
  });
});

describe('participant changes across instances', () => {
  it('keeps every member\'s copy of the list equal to the list while members join and leave at once on both instances', async () => {
    const session = `s-${randomUUID()}`;
    const hubOf = (i: number): TestHub => (i % 2 === 0 ? east : west);
    // 16 members, half on each instance, joining at once; `twin` is connected to both.
    const users = [...Array.from({ length: 16 }, (_, i) => `member-${i}`), 'twin', 'twin'];
    const sockets = await Promise.all(users.map((_, i) => connectClient(hubOf(i).url)));
    const members = await Promise.all(sockets.map((socket, i) => joinAndFollow(socket, session, users[i] as string)));
    expect(members.every((member) => member.ack.ok)).toBe(true);
    const full = await listOn(east, session);
    expect(full).toHaveLength(17);
    await expect.poll(() => members.filter((member) => JSON.stringify(member.view()) !== JSON.stringify(full)).length, { timeout: WAIT_MS }).toBe(0);

    // Five leave at once, among them twin's connection on east, while three more join.
    const leaving = [0, 1, 2, 3, 16];
    const late = await Promise.all(['late-0', 'late-1', 'late-2'].map((_, i) => connectClient(hubOf(i).url)));
    const [, lateMembers] = await Promise.all([
      Promise.all(leaving.map((i) => request(sockets[i] as ClientSocket, 'session:leave', { session_id: session }))),
      Promise.all(late.map((socket, i) => joinAndFollow(socket, session, `late-${i}`))),
    ]);
    const after = await listOn(west, session);
    const gone = ['member-0', 'member-1', 'member-2', 'member-3'];
    expect(names(after)).toEqual([...names(full).filter((user) => !gone.includes(user)), 'late-0', 'late-1', 'late-2'].sort());
    const staying = [...members.filter((_, i) => !leaving.includes(i)), ...lateMembers];
    await expect.poll(() => staying.filter((member) => JSON.stringify(member.view()) !== JSON.stringify(after)).length, { timeout: WAIT_MS }).toBe(0);
  });
});

describe('Redis unreachable', () => {
  it('still serves this instance: not ready, joins and relays with local participants, no hang', async () => {
    const hub = await startHub({
      env: { REDIS_URL: 'redis://127.0.0.1:1', ADAPTER_REQUESTS_TIMEOUT_MS: '300', READINESS_TIMEOUT_MS: '300' },
      redisConnectTimeoutMs: 300,
    });
    try {
      const ready = await fetch(`${hub.url}/ready`, { signal: AbortSignal.timeout(WAIT_MS) });
      expect(ready.status).toBe(503);
      // Which dependency failed, and how, is in the log only.
      expect(await ready.json()).toEqual({ ready: false });
      expect(hub.logText()).toMatch(/"dependencies":\{"redis":"(error|timeout)[^"]*"\},"msg":"not ready"/);

      const session = `s-${randomUUID()}`;
      const socket = await connectClient(hub.url);
      expect(names((await request<JoinAck>(socket, 'session:join', { session_id: session, user_id: 'solo' })).participants)).toEqual(['solo']);
      const progress = nextEvent(socket, 'workflow:progress');
      const response = await postEvent(hub.url, session, progressEvent(), { 'x-internal-secret': hub.secret });
      expect(await response.json()).toEqual({ delivered_to: 1 });
      await progress;
      expect(hub.logText()).toContain('redis not reachable at start');
    } finally {
      await hub.close();
    }
  });
});

describe('shutting down one of two instances', () => {
  it('tells the other instance that its participants left before the adapter closes, and publishes nothing once its Redis is closed', async () => {
    const key = uniqueRedisKey();
    const secret = `secret-${randomUUID()}`;
    const [closing, staying] = await Promise.all([startHub({ redisKey: key, secret }), startHub({ redisKey: key, secret })]);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const session = `s-${randomUUID()}`;
      const watcher = await connectClient(staying.url);
      await request(watcher, 'session:join', { session_id: session, user_id: 'watcher' });
      const changes = recordParticipantChanges(watcher);
      const [a, b] = await Promise.all([connectClient(closing.url), connectClient(closing.url)]);
      await request(a, 'session:join', { session_id: session, user_id: 'a' });
      await request(b, 'session:join', { session_id: session, user_id: 'b' });
      await expect.poll(() => changes, { timeout: WAIT_MS }).toEqual(['+a', '+b']);

      await closing.hub.closeSockets(1_000);
      // Its adapter is closed now: what the other instance learns was published before.
      await expect.poll(() => changes.slice(2).sort(), { timeout: WAIT_MS }).toEqual(['-a', '-b']);
      expect(await participantsOn(staying, session)).toEqual(['watcher']);
      await closing.close();
      // Anything published later would reject on the closed Redis client, unhandled.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      await Promise.all([closing.close(), staying.close()]);
    }
  });
});
