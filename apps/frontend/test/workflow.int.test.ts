import { LIMITS } from '@mcp/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelRouter } from './support/fake-model-router';
import type { FakeModelRouter } from './support/fake-model-router';
import { sampleRun, startFakeOrchestrator } from './support/fake-orchestrator';
import type { FakeOrchestrator } from './support/fake-orchestrator';
import { freePort } from '@mcp/test-kit';
import { http, startFrontend } from './support/frontend-harness';
import type { RunningFrontend } from './support/frontend-harness';

const workflow = {
  workflow_type: 'summarise',
  steps: [
    { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' },
    { type: 'data_processing', name: 'upper', operation: 'uppercase' },
  ],
  input_data: { text: 'hello world' },
  session_id: 'session-1',
};

describe('POST /api/workflow/execute and GET /api/workflow/runs/:id, forwarded to the orchestrator', () => {
  let router: FakeModelRouter;
  let orchestrator: FakeOrchestrator;
  let frontend: RunningFrontend;
  const extra: RunningFrontend[] = [];

  beforeAll(async () => {
    [router, orchestrator] = await Promise.all([startFakeModelRouter(), startFakeOrchestrator()]);
    frontend = await startFrontend({ MODEL_ROUTER_ADDRESS: router.address, WORKFLOW_ORCHESTRATOR_URL: orchestrator.url, WORKFLOW_TIMEOUT_MS: '300' });
  });
  afterEach(async () => {
    orchestrator.reset();
    await Promise.all(extra.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await frontend?.close();
    await Promise.all([router?.close(), orchestrator?.close()]);
  });

  it('forwards the body as sent and the Idempotency-Key, and answers with the run', async () => {
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: workflow, headers: { 'idempotency-key': 'key-123' } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual(sampleRun('run-1'));
    expect(orchestrator.requests).toHaveLength(1);
    const forwarded = orchestrator.requests[0];
    expect(forwarded?.method).toBe('POST');
    expect(forwarded?.url).toBe('/workflows/execute');
    expect(JSON.parse(forwarded?.body ?? '')).toEqual(workflow);
    expect(forwarded?.headers['idempotency-key']).toBe('key-123');
    expect(forwarded?.headers['content-type']).toBe('application/json');
  });

  it('passes the orchestrator\'s idempotent-replayed header on, and no other upstream header', async () => {
    orchestrator.answers.push({ status: 200, body: JSON.stringify(sampleRun('run-1')), headers: { 'idempotent-replayed': 'true', 'x-internal': 'secret' } });
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: workflow, headers: { 'idempotency-key': 'key-123' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('idempotent-replayed')).toBe('true');
    expect(answer.headers.get('x-internal')).toBeNull();
  });

  it('sends no Idempotency-Key when the client sent none', async () => {
    await http(`${frontend.url}/api/workflow/execute`, { json: workflow });
    expect(orchestrator.requests[0]?.headers).not.toHaveProperty('idempotency-key');
  });

  it.each([
    ['no steps', { workflow_type: 'x', steps: [] }, 'steps: must have at least one step'],
    ['unknown step type', { workflow_type: 'x', steps: [{ type: 'shell', name: 'rm' }] }, 'steps.0.type'],
    ['model step without a model', { workflow_type: 'x', steps: [{ type: 'model_inference', name: 'a', prompt_template: 'p' }] }, 'steps.0.model_type'],
    ['bad step name', { workflow_type: 'x', steps: [{ type: 'data_processing', name: 'a b', operation: 'trim' }] }, 'steps.0.name'],
    ['non-http URL', { workflow_type: 'x', steps: [{ type: 'external_api', name: 'a', url: 'file:///etc/passwd' }] }, 'steps.0.url'],
    ['missing workflow_type', { steps: [{ type: 'data_processing', name: 'a', operation: 'trim' }] }, 'workflow_type'],
    ['unknown top-level field', { ...workflow, priority: 1 }, 'priority'],
  ])('400 for %s, naming the field; nothing forwarded', async (_name, body, fragment) => {
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: body });
    expect(answer.status, answer.text).toBe(400);
    expect(answer.json.error).toBe('invalid request');
    expect((answer.json.details as string[]).some((line) => line.includes(fragment)), JSON.stringify(answer.json.details)).toBe(true);
    expect(orchestrator.requests).toHaveLength(0);
  });

  it('400 for an Idempotency-Key that is too long; nothing forwarded', async () => {
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: workflow, headers: { 'idempotency-key': 'k'.repeat(500) } });
    expect(answer.status).toBe(400);
    expect(answer.json.details[0]).toMatch(/^Idempotency-Key: /);
    expect(orchestrator.requests).toHaveLength(0);
  });

  it.each([
    [400, { error: 'invalid request', details: ['steps.0.url: host example.org is not allowed'] }],
    [404, { error: 'no such thing' }],
    [409, { error: 'Idempotency-Key reused with another body' }],
    [422, { error: 'unprocessable' }],
  ])("passes the orchestrator's %s through as is", async (status, body) => {
    orchestrator.answers.push({ status, body: JSON.stringify(body) });
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: workflow });
    expect(answer.status).toBe(status);
    expect(answer.json).toEqual(body);
  });

  it.each([
    [500, 502],
    [502, 502],
    [503, 503],
    [504, 504],
  ])('maps an orchestrator %s to %s with a clear message', async (upstream, expected) => {
    orchestrator.answers.push({ status: upstream, body: JSON.stringify({ error: 'mongodb unavailable' }) });
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: workflow });
    expect(answer.status).toBe(expected);
    expect(answer.json.error).toBe(`workflow-orchestrator failed with ${upstream}: mongodb unavailable`);
  });

  it('502 for an answer larger than any run can be, read no further than the bound', async () => {
    orchestrator.answers.push({ status: 200, body: JSON.stringify(sampleRun('run-1', { input_data: { text: 'x'.repeat(LIMITS.workflowRunAnswerBytes) } })) });
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: workflow });
    expect(answer.status).toBe(502);
    expect(answer.json.error).toBe(`workflow-orchestrator answered more than ${LIMITS.workflowRunAnswerBytes} bytes`);
  });

  it('504 when the orchestrator does not answer within WORKFLOW_TIMEOUT_MS', async () => {
    orchestrator.answers.push({ status: 200, body: '{}', delayMs: 5_000 });
    const answer = await http(`${frontend.url}/api/workflow/execute`, { json: workflow });
    expect(answer.status).toBe(504);
    expect(answer.json.error).toBe('workflow-orchestrator did not answer within 300 ms');
  });

  it('503 when nothing listens at WORKFLOW_ORCHESTRATOR_URL, and /ready says so (which one: in the log)', async () => {
    const down = await startFrontend({ LOG_LEVEL: 'info', MODEL_ROUTER_ADDRESS: router.address, WORKFLOW_ORCHESTRATOR_URL: `http://127.0.0.1:${await freePort()}` });
    extra.push(down);
    const answer = await http(`${down.url}/api/workflow/execute`, { json: workflow });
    expect(answer.status).toBe(503);
    expect(answer.json.error).toBe('workflow-orchestrator is unavailable (ECONNREFUSED)');
    const run = await http(`${down.url}/api/workflow/runs/run-1`);
    expect(run.status).toBe(503);
    const ready = await http(`${down.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ ready: false });
    expect(down.readinessDetails()?.['orchestrator']).toMatch(/^error: workflow-orchestrator is unavailable/);
  });

  it('GET /api/workflow/runs/:id returns the run, passes 404 through, and rejects a malformed id', async () => {
    const found = await http(`${frontend.url}/api/workflow/runs/run-42`);
    expect(found.status).toBe(200);
    expect(found.headers.get('cache-control')).toBe('no-store');
    expect(found.json).toEqual(sampleRun('run-42'));
    expect(orchestrator.requests[0]?.url).toBe('/workflows/runs/run-42');

    const missing = await http(`${frontend.url}/api/workflow/runs/missing`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'no run missing' });

    const malformed = await http(`${frontend.url}/api/workflow/runs/${'x'.repeat(200)}`);
    expect(malformed.status).toBe(400);
    const traversal = await http(`${frontend.url}/api/workflow/runs/..%2F..%2Fhealth`);
    expect(traversal.status).toBe(400);
    expect(orchestrator.requests).toHaveLength(2);
  });
});
