/**
 * Issue 3, item 5: bad input at every boundary of the running system (REST, GraphQL, gRPC,
 * Socket.IO, the hub's internal endpoint) gets a 4xx / INVALID_ARGUMENT / ack error with a message
 * that says what is wrong — never a 5xx or a crash — and nothing is persisted.
 */
import { randomUUID } from 'node:crypto';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRouterClient, LIMITS, type ModelRouterCaller } from '@mcp/contracts';
import { DATABASE_URL, INTERNAL_API_SECRET, postJson, startSystem, type RunningSystem } from './support/system';

const run = randomUUID().slice(0, 8);
const userId = `bad-input-user-${run}`;
let system: RunningSystem;
let ledger: pg.Client;
let router: ModelRouterCaller;

beforeAll(async () => {
  system = await startSystem(run);
  ledger = new pg.Client({ connectionString: DATABASE_URL });
  await ledger.connect();
  router = createModelRouterClient(`127.0.0.1:${system.modelRouter.port}`);
}, 120_000);

afterAll(async () => {
  router?.close();
  await ledger?.end();
  await system?.stop();
}, 60_000);

async function rawPost(url: string, body: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, text: await response.text() };
}

describe('REST (frontend and orchestrator)', () => {
  const longPrompt = 'x'.repeat(LIMITS.promptChars + 1);
  it.each([
    ['frontend /api/route: empty body', '/api/route', {}, 400, /model_type.*prompt|prompt.*model_type/s],
    ['frontend /api/route: wrong types', '/api/route', { model_type: 7, prompt: ['a'], user_id: userId }, 400, /model_type/],
    ['frontend /api/route: prompt too long', '/api/route', { model_type: 'stub-small', prompt: longPrompt, user_id: userId }, 400, /prompt/],
    ['frontend /api/route: unknown field', '/api/route', { model_type: 'stub-small', prompt: 'p', user_id: userId, admin: true }, 400, /admin/],
    ['frontend /api/route: unknown model', '/api/route', { model_type: 'gpt-zero', prompt: 'p', user_id: userId }, 404, /gpt-zero|unknown model/],
    ['frontend /api/workflow/execute: unknown step type', '/api/workflow/execute', { workflow_type: 'w', steps: [{ type: 'shell', name: 'x' }], user_id: userId }, 400, /steps\.0/],
    ['frontend /api/workflow/execute: no steps', '/api/workflow/execute', { workflow_type: 'w', steps: [] }, 400, /steps/],
  ] as const)('%s → %i', async (_case, path, body, status, message) => {
    const res = await postJson(`${system.frontend.url}${path}`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(JSON.stringify(res.body)).toMatch(message);
  });

  it('malformed JSON and a wrong content type are 4xx at both HTTP services', async () => {
    for (const base of [system.frontend.url, system.orchestrator.url]) {
      const path = base === system.frontend.url ? '/api/route' : '/workflows/execute';
      const malformed = await rawPost(`${base}${path}`, '{"model_type": ');
      expect(malformed.status, malformed.text).toBe(400);
      const wrongType = await rawPost(`${base}${path}`, 'model_type=x', 'text/plain');
      expect([400, 415], wrongType.text).toContain(wrongType.status);
    }
  });

  it('an external_api step to a host outside the allow-list is refused before any step runs', async () => {
    const hitsBefore = system.externalApi.hits();
    const res = await postJson(`${system.frontend.url}/api/workflow/execute`, {
      workflow_type: 'exfiltrate',
      steps: [
        { type: 'data_processing', name: 'upper', operation: 'uppercase' },
        { type: 'external_api', name: 'leak', url: 'http://169.254.169.254/latest/meta-data' },
      ],
      input_data: { text: 'secret' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/allow/i);
    expect(system.externalApi.hits()).toBe(hitsBefore);
  });
});

describe('GraphQL', () => {
  it.each([
    ['a syntax error', { query: '{ models { name ' }],
    ['an unknown field', { query: '{ models { name secret } }' }],
    ['an empty prompt', { query: 'query { route(modelType: "stub-small", prompt: "") { response } }' }],
    ['a query nested past the depth limit', { query: `{ ${'workflowRun(id: "x") { steps { output '.repeat(6)}${'} } '.repeat(6)}}` }],
  ])('%s → a GraphQL error, no 5xx', async (_case, body) => {
    const res = await postJson(`${system.frontend.url}/graphql`, body);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    expect(Array.isArray(res.body['errors']), JSON.stringify(res.body)).toBe(true);
    expect((res.body['errors'] as Array<{ message: string }>)[0]?.message.length).toBeGreaterThan(0);
  });
});

describe('gRPC (model-router)', () => {
  it.each([
    ['an empty model_type', { model_type: '', prompt: 'p' }, GrpcStatus.INVALID_ARGUMENT, /model_type/],
    ['an empty prompt', { model_type: 'stub-small', prompt: '' }, GrpcStatus.INVALID_ARGUMENT, /prompt/],
    ['a prompt over the model limit', { model_type: 'stub-small', prompt: 'y'.repeat(LIMITS.promptChars + 10) }, GrpcStatus.INVALID_ARGUMENT, /prompt/],
    ['an unknown model', { model_type: 'nope', prompt: 'p' }, GrpcStatus.NOT_FOUND, /nope/],
  ])('%s → %i', async (_case, request, code, message) => {
    const error = (await router.route(request, 5_000).then(
      () => undefined,
      (e: unknown) => e,
    )) as ServiceError | undefined;
    expect(error?.code).toBe(code);
    expect(error?.details).toMatch(message);
  });
});

describe('Socket.IO (collaboration-hub)', () => {
  let client: Socket;
  beforeAll(async () => {
    client = io(system.hub.url, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
  });
  afterAll(() => client?.close());

  it.each([
    ['session:join without user_id', 'session:join', { session_id: 's' }, /user_id/],
    ['session:join with a number', 'session:join', 42, /payload/],
    ['session:message before joining', 'session:message', { session_id: `never-joined-${run}`, text: 'hi' }, /join/],
    ['session:message with an oversized text', 'session:message', { session_id: 's', text: 'z'.repeat(LIMITS.messageChars + 1) }, /text/],
  ])('%s → an ack error', async (_case, event, payload, message) => {
    const ack = (await client.timeout(5_000).emitWithAck(event, payload)) as { ok: boolean; error?: string };
    expect(ack.ok).toBe(false);
    expect(ack.error).toMatch(message);
  });

  it('the internal endpoint refuses a missing secret (401) and a malformed event (400)', async () => {
    const url = `${system.hub.url}/internal/sessions/s-${run}/events`;
    expect((await postJson(url, { type: 'run.started' })).status).toBe(401);
    const bad = await postJson(url, { type: 'run.started' }, { 'x-internal-secret': INTERNAL_API_SECRET });
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/progress_id/);
  });

  it('an oversized packet closes only that connection', async () => {
    const big = io(system.hub.url, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve) => big.once('connect', () => resolve()));
    const closed = new Promise<string>((resolve) => big.once('disconnect', (reason) => resolve(reason)));
    big.emit('session:message', { session_id: 's', text: 'q'.repeat(LIMITS.socketPacketBytes * 2) });
    expect(await closed).toBeTruthy();
    const ack = (await client.timeout(5_000).emitWithAck('session:join', { session_id: `still-alive-${run}`, user_id: 'u' })) as { ok: boolean };
    expect(ack.ok).toBe(true);
  });
});

describe('afterwards', () => {
  it('every service is alive and nothing of the rejected requests was persisted', async () => {
    for (const service of [system.frontend, system.orchestrator, system.hub]) {
      expect((await fetch(`${service.url}/health`)).status, service.name).toBe(200);
      expect(service.exitInfo(), service.name).toBeUndefined();
    }
    expect(system.modelRouter.exitInfo()).toBeUndefined();
    const rows = await ledger.query('SELECT count(*)::int AS n FROM usage_ledger WHERE user_id = $1', [userId]);
    expect(rows.rows[0]).toEqual({ n: 0 });
    // No 5xx server span anywhere in what the services exported.
    const serverErrors = system.receiver.spans().filter((s) => s.kind === 'SERVER' && Number(s.attributes['http.response.status_code'] ?? 0) >= 500);
    expect(serverErrors.map((s) => `${s.serviceName} ${s.name} ${String(s.attributes['http.response.status_code'])}`)).toEqual([]);
  });
});
