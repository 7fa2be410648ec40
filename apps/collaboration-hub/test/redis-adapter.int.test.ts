import type { Participant, SessionMessageBroadcast, SessionParticipantsBroadcast } from '@mcp/contracts';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WAIT_MS, closeClients, connectClient, nextEvent, postEvent, progressEvent, request, startHub, uniqueRedisKey } from './support/hub.harness';
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

async function participantsOn(hub: TestHub, sessionId: string): Promise<string[]> {
  const response = await fetch(`${hub.url}/sessions/${sessionId}`, { signal: AbortSignal.timeout(WAIT_MS) });
  return names(((await response.json()) as { participants: Participant[] }).participants);
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
    const eastSeesWest = nextEvent<SessionParticipantsBroadcast>(onEast, 'session:participants', (u) => u.participants.length === 2);
    // West's join ack lists the participant connected to east.
    expect(names((await request<JoinAck>(onWest, 'session:join', { session_id: session, user_id: 'west-user' })).participants)).toEqual(['east-user', 'west-user']);
    expect(names((await eastSeesWest).participants)).toEqual(['east-user', 'west-user']);
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
    const eastSeesLeave = nextEvent<SessionParticipantsBroadcast>(onEast, 'session:participants', (u) => u.participants.length === 1);
    onWest.disconnect();
    expect(names((await eastSeesLeave).participants)).toEqual(['east-user']);
    expect(await participantsOn(west, session)).toEqual(['east-user']);

    // The hub with another key saw none of it.
    const lonerMessage = nextEvent<SessionMessageBroadcast>(onLoner, 'session:message');
    await request(onLoner, 'session:message', { session_id: session, text: 'alone' });
    expect((await lonerMessage).text).toBe('alone');
    expect(await participantsOn(loner, session)).toEqual(['loner']);
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
  it('sends the broadcast still waiting for its interval before the adapter closes, and publishes nothing once its Redis is closed', async () => {
    const key = uniqueRedisKey();
    const secret = `secret-${randomUUID()}`;
    const intervalMs = 1_500;
    const slow = { PARTICIPANTS_BROADCAST_INTERVAL_MS: String(intervalMs) };
    const [closing, staying] = await Promise.all([startHub({ redisKey: key, secret, env: slow }), startHub({ redisKey: key, secret, env: slow })]);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const session = `s-${randomUUID()}`;
      const watcher = await connectClient(staying.url);
      await request(watcher, 'session:join', { session_id: session, user_id: 'watcher' });
      const [a, b] = await Promise.all([connectClient(closing.url), connectClient(closing.url)]);
      const withA = nextEvent<SessionParticipantsBroadcast>(watcher, 'session:participants', (u) => names(u.participants).includes('a'));
      await request(a, 'session:join', { session_id: session, user_id: 'a' });
      await withA;
      // Within the interval of a's broadcast: from now on the lists wait for a trailing broadcast.
      await request(b, 'session:join', { session_id: session, user_id: 'b' });
      const onlyWatcher = nextEvent<SessionParticipantsBroadcast>(watcher, 'session:participants', (u) => names(u.participants).join() === 'watcher');

      await closing.hub.closeSockets(1_000);
      // The other instance learns at shutdown, not after the interval, that a and b are gone.
      expect(names((await onlyWatcher).participants)).toEqual(['watcher']);
      await closing.close();
      // Past the interval: a timer left behind would publish now, on a closed Redis client.
      await new Promise((resolve) => setTimeout(resolve, intervalMs + 500));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      await Promise.all([closing.close(), staying.close()]);
    }
  });
});
