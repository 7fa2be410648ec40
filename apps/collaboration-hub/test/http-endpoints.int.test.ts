import { LIMITS } from '@mcp/contracts';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WAIT_MS, closeClients, connectClient, nextEvent, postEvent, progressEvent, recordEvents, request, startHub } from './support/hub.harness';
import type { TestHub } from './support/hub.harness';

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub();
});
afterEach(() => closeClients());
afterAll(async () => {
  await hub.close();
});

const get = (path: string): Promise<Response> => fetch(`${hub.url}${path}`, { signal: AbortSignal.timeout(WAIT_MS) });

describe('health and errors', () => {
  it('GET /health is alive without checking anything', async () => {
    const response = await get('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready is ready with the in-memory adapter (no dependency to check), and says nothing more', async () => {
    const response = await get('/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true });
  });

  it('answers unknown routes and wrong methods with JSON', async () => {
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
    const wrongMethod = await fetch(`${hub.url}/sessions/abc`, { method: 'DELETE', signal: AbortSignal.timeout(WAIT_MS) });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ error: 'method not allowed' });
  });

  it('GET /sessions/:id of a session nobody joined lists nobody; an over-long id is a 400', async () => {
    const response = await get('/sessions/empty-session');
    expect(await response.json()).toEqual({ session_id: 'empty-session', participants: [] });
    const tooLong = await get(`/sessions/${'x'.repeat(LIMITS.identifierChars + 1)}`);
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({ error: 'invalid request', details: [`session_id: must be at most ${LIMITS.identifierChars} characters`] });
  });
});

describe('POST /internal/sessions/:id/events', () => {
  it('401 without the secret, with a wrong one, and with one of the same length; never logs it', async () => {
    const attempts = [undefined, 'wrong', 'x'.repeat(hub.secret.length), `${hub.secret}x`, hub.secret.slice(0, -1), hub.secret.toUpperCase()];
    for (const secret of attempts) {
      const response = await postEvent(hub.url, 's-auth', progressEvent(), secret === undefined ? {} : { 'x-internal-secret': secret });
      expect(response.status, `secret ${JSON.stringify(secret)}`).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthorized' });
    }
    // Authenticated requests are logged too; neither kind of request puts the secret in a log line.
    expect((await postEvent(hub.url, 's-auth', progressEvent(), { 'x-internal-secret': hub.secret })).status).toBe(202);
    expect(hub.logText()).toContain('workflow progress relayed');
    expect(hub.logText()).not.toContain(hub.secret);
  });

  it('checks the secret before reading the body', async () => {
    const response = await postEvent(hub.url, 's-auth', '{not json', { 'x-internal-secret': 'wrong' });
    expect(response.status).toBe(401);
  });

  const auth = (): Record<string, string> => ({ 'x-internal-secret': hub.secret });

  it.each([
    { name: 'empty object', body: {}, fields: ['type', 'progress_id', 'workflow_type', 'status', 'completed_steps', 'total_steps', 'at'] },
    { name: 'wrong enum and types', body: progressEvent({ type: 'run.exploded', completed_steps: 'one', total_steps: 0 }), fields: ['type', 'completed_steps', 'total_steps'] },
    { name: 'bad timestamp', body: progressEvent({ at: 'yesterday' }), fields: ['at'] },
    { name: 'bad step', body: progressEvent({ step: { name: 'has spaces', type: 'teleport', index: -1 } }), fields: ['step.name', 'step.type', 'step.index'] },
    { name: 'unknown field', body: progressEvent({ secret_sauce: true }), fields: [] },
  ])('400 naming the fields: $name', async ({ body, fields }) => {
    const response = await postEvent(hub.url, 's-bad', body, auth());
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; details: string[] };
    expect(answer.error).toBe('invalid request');
    expect(answer.details.length).toBeGreaterThan(0);
    for (const field of fields) expect(answer.details.some((line) => line.startsWith(`${field}: `)), `${field} in ${answer.details.join(' | ')}`).toBe(true);
  });

  it.each([
    { name: 'a JSON array', body: '[1,2]', status: 400 },
    { name: 'a JSON string', body: '"event"', status: 400 },
    { name: 'malformed JSON', body: '{"type": ', status: 400 },
    { name: 'no body', body: '', status: 400 },
  ])('400 for $name', async ({ body, status }) => {
    const response = await postEvent(hub.url, 's-bad', body, auth());
    expect(response.status).toBe(status);
    const answer = (await response.json()) as { error: string };
    expect(typeof answer.error).toBe('string');
    expect(answer.error).not.toContain('event');
  });

  it('415 for a body that is not JSON', async () => {
    const response = await postEvent(hub.url, 's-bad', 'type=run.started', { ...auth(), 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: 'Content-Type must be application/json (UTF-8)' });
  });

  it('413 for a body over the limit', async () => {
    const body = JSON.stringify(progressEvent({ padding: 'p'.repeat(LIMITS.jsonBodyBytes) }));
    const response = await postEvent(hub.url, 's-big', body, auth());
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: `request body too large: at most ${LIMITS.jsonBodyBytes} bytes` });
  });

  it('202 with the number of connections in the room, which receive the event as workflow:progress', async () => {
    const session = `s-${randomUUID()}`;
    const other = `s-${randomUUID()}`;
    const [a, b, outsider] = await Promise.all([connectClient(hub.url), connectClient(hub.url), connectClient(hub.url)]);
    await request(a, 'session:join', { session_id: session, user_id: 'a' });
    await request(b, 'session:join', { session_id: session, user_id: 'b' });
    await request(outsider, 'session:join', { session_id: other, user_id: 'o' });
    const outsiderEvents = recordEvents(outsider, 'workflow:progress');

    const event = progressEvent({ type: 'run.finished', status: 'completed', completed_steps: 3, step: undefined });
    const received = [nextEvent(a, 'workflow:progress'), nextEvent(b, 'workflow:progress')];
    const response = await postEvent(hub.url, session, event, auth());
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ delivered_to: 2 });
    // Without telemetry in this process there is no trace context to carry: the event arrives as posted.
    for (const payload of await Promise.all(received)) expect(payload).toEqual(JSON.parse(JSON.stringify(event)));

    // The outsider's first event is the one for its own session.
    const own = nextEvent(outsider, 'workflow:progress');
    expect(await (await postEvent(hub.url, other, progressEvent({ progress_id: 'own-run' }), auth())).json()).toEqual({ delivered_to: 1 });
    expect((await own)['progress_id']).toBe('own-run');
    expect(outsiderEvents.map((e) => e['progress_id'])).toEqual(['own-run']);
  });

  it('202 with delivered_to 0 for a session nobody is in', async () => {
    const response = await postEvent(hub.url, `s-${randomUUID()}`, progressEvent(), auth());
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ delivered_to: 0 });
  });
});

describe('shutdown', () => {
  it('closes client connections, refuses new ones and is not ready, before the HTTP server drains', async () => {
    const closing = await startHub();
    try {
      const client = await connectClient(closing.url);
      const watcher = await connectClient(hub.url);
      await request(client, 'session:join', { session_id: 'leaving', user_id: 'u' });
      const gone = new Promise<string>((resolve) => client.once('disconnect', resolve));

      await closing.hub.closeSockets(1_000);
      expect(await gone).toBe('transport close');
      const ready = await fetch(`${closing.url}/ready`, { signal: AbortSignal.timeout(WAIT_MS) });
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false });
      expect(closing.logText()).toContain('"dependencies":{"process":"draining"},"msg":"not ready"');
      await expect(connectClient(closing.url)).rejects.toThrow();
      // HTTP still answers until the drainer runs; the other hub is untouched.
      expect((await fetch(`${closing.url}/health`, { signal: AbortSignal.timeout(WAIT_MS) })).status).toBe(200);
      expect(watcher.connected).toBe(true);
    } finally {
      await closing.close();
    }
  });
});
