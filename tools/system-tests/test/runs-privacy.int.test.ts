/**
 * Issue 18, item 4: runs are not readable by strangers. The four services as real processes; Socket.IO
 * clients play the browsers. A run's id is a capability (128 random bits) answered to its caller
 * only; the session's room gets a public progress_id that reads nothing; a participant of another
 * session hears nothing of the run; and telemetry names the run by its progress_id too.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startSystem, type RunningSystem } from './support/system';

const run = randomUUID().slice(0, 8);
let system: RunningSystem;
const sockets: Socket[] = [];

beforeAll(async () => {
  system = await startSystem(`privacy_${run}`);
}, 120_000);
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await system?.stop();
}, 60_000);

/** A connected client that joined `sessionId` as `userId`, recording every event it receives. */
async function participant(sessionId: string, userId: string): Promise<{ received: unknown[] }> {
  const socket = io(system.hub.url, { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  const received: unknown[] = [];
  socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
  const ack = (await socket.timeout(10_000).emitWithAck('session:join', { session_id: sessionId, user_id: userId })) as { ok: boolean };
  expect(ack.ok).toBe(true);
  return { received };
}

const getRun = async (id: string) => {
  const response = await fetch(`${system.frontend.url}/api/workflow/runs/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
};

describe('a run is read by whoever started it, and only by them', () => {
  it('the room sees progress by progress_id; another session sees nothing; strangers get 404; telemetry never holds the run id', async () => {
    const session = `s-${randomBytes(16).toString('base64url')}`;
    const bob = await participant(session, 'bob');
    const eve = await participant(`s-${randomBytes(16).toString('base64url')}`, 'eve');

    const secret = `private-input-${run}`;
    const started = await postJson(`${system.frontend.url}/api/workflow/execute`, {
      workflow_type: 'private',
      session_id: session,
      input_data: { text: `${secret} holds hands. Otters float.` },
      steps: [{ type: 'data_processing', name: 'count', operation: 'word_count' }],
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const runId = String(started.body['run_id']);
    const progressId = String(started.body['progress_id']);
    expect(runId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(runId, 'base64url')).toHaveLength(16);
    expect(progressId).toMatch(/^[0-9a-f]{16}$/);

    // Bob, in the session, sees the run's progress to the end, by its progress_id only.
    await expect.poll(() => bob.received.filter((e) => (e as { event: string }).event === 'workflow:progress').length, { timeout: 15_000 }).toBe(3);
    const progress = bob.received.filter((e) => (e as { event: string }).event === 'workflow:progress').map((e) => (e as { payload: Record<string, unknown> }).payload);
    expect(progress.map((p) => [p['type'], p['progress_id']])).toEqual([
      ['run.started', progressId],
      ['step.completed', progressId],
      ['run.finished', progressId],
    ]);
    expect(JSON.stringify(bob.received)).not.toContain(runId);
    // Eve, in another session, hears nothing of it (only her own session's participant list).
    expect(eve.received.map((e) => (e as { event: string }).event)).not.toContain('workflow:progress');
    expect(JSON.stringify(eve.received)).not.toContain(progressId);
    expect(JSON.stringify(eve.received)).not.toContain(runId);

    // The caller reads the run with its id; no cache may keep it.
    const own = await getRun(runId);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ run_id: runId, status: 'completed', input_data: { text: expect.stringContaining(secret) } });
    expect(own.headers.get('cache-control')).toBe('no-store');
    // What a participant knows (the progress_id), and a guess, read nothing.
    for (const guess of [progressId, randomBytes(16).toString('base64url'), randomUUID()]) {
      const stranger = await getRun(guess);
      expect(stranger.status, guess).toBe(404);
      expect(JSON.stringify(stranger.body)).not.toContain(secret);
    }

    // Spans, metrics and logs of the run name it by progress_id (mcp.workflow_id), never by its id:
    // the progress events carry the run's trace context to the whole room.
    await system.receiver.waitForSpans({ serviceName: 'workflow-orchestrator', name: 'workflow_execution', attributes: { 'mcp.workflow_id': progressId } }, { timeoutMs: 15_000 });
    const mentions = system.receiver.scanFor(runId);
    // Only the HTTP spans of the caller's own GET carry it, in its URL.
    for (const mention of mentions) expect(`${mention.path}: ${mention.value}`).toMatch(/\/workflows?\/runs\//);
    process.stdout.write(
      `[PRIVACY] run id ${runId.length} chars (128 bits); room events 3, with run id 0; other session's progress events 0; stranger reads 3/3 → 404; telemetry mentions outside GET URLs 0 (of ${mentions.length})\n`,
    );
  });
});
