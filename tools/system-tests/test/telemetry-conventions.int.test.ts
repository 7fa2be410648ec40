/**
 * Issue 12: the telemetry speaks the current conventions. A representative workload (REST route miss
 * and hit, GraphQL, a workflow with all three step types in a watched session, a streamed answer, an
 * unknown model) on the four services; then its traces and metrics are checked for the GenAI
 * conventions with the values the requests imply, and everything exported is classified against the
 * semantic conventions and our registry (libs/telemetry-registry). The whole run is checked again
 * after the last file (support/telemetry-check.global.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createModelRouterClient } from '@mcp/contracts';
import { addToInventory, classifyInventory, emptyInventory, formatCounts, loadRegistry, loadSemconvCatalog } from '@mcp/telemetry-registry';
import { assertParentChild, renderTraceTree, type ReceivedMetricPoint, type ReceivedSpan } from '@mcp/otlp-receiver';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startSystem, type RunningSystem } from './support/system';

const run = randomUUID().slice(0, 8);
let system: RunningSystem;
let watcher: Socket;

const GEN_AI = { 'gen_ai.operation.name': 'text_completion', 'gen_ai.provider.name': 'mcp_model_router' };

/** The workflow's model call as the orchestrator's text_completion span recorded it (set by the first test). */
let workflowCall: { inputTokens: number; outputTokens: number; durationMs: number } | undefined;

function traceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

async function traceSpans(traceId: string, until: (spans: ReceivedSpan[]) => boolean, what: string): Promise<ReceivedSpan[]> {
  const of = () => system.receiver.spans().filter((s) => s.traceId === traceId);
  await system.receiver.waitForSpans((s) => s.traceId === traceId && until(of()), { timeoutMs: 20_000, description: what });
  return of();
}

/** The last (cumulative) point of a metric from one service whose attributes include `attributes`. */
function lastPoint(name: string, service: string, attributes: Record<string, unknown>): ReceivedMetricPoint | undefined {
  return system.receiver
    .metrics()
    .filter((p) => p.name === name && p.serviceName === service && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .at(-1);
}

beforeAll(async () => {
  system = await startSystem(`conv_${run}`);
  watcher = io(system.hub.url, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    watcher.once('connect', () => resolve());
    watcher.once('connect_error', reject);
  });
  expect(await watcher.timeout(5_000).emitWithAck('session:join', { session_id: `conv-${run}`, user_id: `watcher-${run}` })).toMatchObject({ ok: true });
}, 120_000);

afterAll(async () => {
  watcher?.close();
  await system?.stop();
}, 60_000);

describe('GenAI conventions on the model path', () => {
  it('a workflow: the orchestrator\'s text_completion CLIENT span over the gRPC call, the model-router\'s model_inference with the usage', async () => {
    const { traceId, header } = traceparent();
    const res = await postJson(
      `${system.frontend.url}/api/workflow/execute`,
      {
        workflow_type: 'conventions',
        session_id: `conv-${run}`,
        input_data: { text: `otters ${run}` },
        steps: [
          { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Describe {text}' },
          { type: 'data_processing', name: 'count', operation: 'word_count' },
          { type: 'external_api', name: 'facts', url: `${system.externalApi.url}/facts` },
        ],
      },
      { traceparent: header },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Each service exports on its own schedule: wait for both ends of the model call, not the first to arrive.
    const spans = await traceSpans(
      traceId,
      (ss) =>
        ss.some((s) => s.serviceName === 'model-router' && s.name === 'model_inference') &&
        ss.some((s) => s.serviceName === 'workflow-orchestrator' && s.name === 'text_completion stub-small') &&
        ss.some((s) => s.serviceName === 'workflow-orchestrator' && s.name.startsWith('workflow_step_model_inference')),
      'workflow model call',
    );
    const tree = renderTraceTree(spans);

    const client = spans.find((s) => s.serviceName === 'workflow-orchestrator' && s.name === 'text_completion stub-small');
    expect(client, tree).toMatchObject({ kind: 'CLIENT', attributes: { ...GEN_AI, 'gen_ai.request.model': 'stub-small', 'gen_ai.response.model': 'stub-small', 'gen_ai.response.finish_reasons': ['stop'] } });
    const inference = spans.find((s) => s.serviceName === 'model-router' && s.name === 'model_inference');
    // The text_completion span is the gRPC call's ancestor, and the model-router's inference is under that call.
    assertParentChild(spans, { name: /^workflow_step_model_inference/ }, client!);
    assertParentChild(spans, client!, inference!, { direct: false });
    const input = Number(inference?.attributes['gen_ai.usage.input_tokens']);
    const output = Number(inference?.attributes['gen_ai.usage.output_tokens']);
    expect(input, tree).toBeGreaterThan(0);
    expect(output, tree).toBeGreaterThan(0);
    expect(inference?.attributes, tree).toMatchObject({ ...GEN_AI, 'gen_ai.request.model': 'stub-small', 'gen_ai.response.model': 'stub-small', 'mcp.tokens_used': input + output });
    // Both ends saw the same answer.
    expect(client?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output });
    // Content capture is off by default: no message text anywhere.
    expect(spans.filter((s) => 'gen_ai.input.messages' in s.attributes || 'gen_ai.output.messages' in s.attributes)).toEqual([]);
    workflowCall = { inputTokens: input, outputTokens: output, durationMs: client!.durationMs };
  });

  it('the orchestrator\'s client metrics carry that one call: its duration and its tokens split input/output', async () => {
    expect(workflowCall, 'the workflow test above ran').toBeDefined();
    const { inputTokens, outputTokens, durationMs } = workflowCall!;
    const small = { ...GEN_AI, 'gen_ai.request.model': 'stub-small', 'gen_ai.response.model': 'stub-small' };
    await expect.poll(() => lastPoint('gen_ai.client.operation.duration', 'workflow-orchestrator', small)?.histogram?.count, { timeout: 15_000 }).toBe(1);
    const duration = lastPoint('gen_ai.client.operation.duration', 'workflow-orchestrator', small);
    expect(duration).toMatchObject({ unit: 's', attributes: { 'server.address': '127.0.0.1', 'server.port': system.modelRouter.port } });
    expect(duration?.attributes).not.toHaveProperty('error.type');
    // Timed inside the text_completion span: more than nothing, no more than the span lasted.
    expect(duration?.histogram?.sum).toBeGreaterThan(0);
    expect((duration?.histogram?.sum ?? Infinity) * 1000).toBeLessThanOrEqual(durationMs + 1);
    const tokens = (type: string) => lastPoint('gen_ai.client.token.usage', 'workflow-orchestrator', { ...small, 'gen_ai.token.type': type });
    expect(tokens('input')).toMatchObject({ unit: '{token}', histogram: { count: 1, sum: inputTokens } });
    expect(tokens('output')).toMatchObject({ unit: '{token}', histogram: { count: 1, sum: outputTokens } });
  });

  it('the frontend\'s client metrics and the model-router\'s server metrics carry the counts and tokens of the calls made', async () => {
    const prompt = `conventions prompt ${run}`;
    const miss = await postJson(`${system.frontend.url}/api/route`, { model_type: 'stub-medium', prompt });
    const hit = await postJson(`${system.frontend.url}/api/route`, { model_type: 'stub-medium', prompt });
    expect([miss.status, hit.body['cached']]).toEqual([200, true]);
    const unknown = await postJson(`${system.frontend.url}/api/route`, { model_type: 'stub-nonexistent', prompt });
    expect(unknown.status).toBe(404);

    // A streamed answer straight from the model-router: the server's first-token metrics.
    const caller = createModelRouterClient(`127.0.0.1:${system.modelRouter.port}`);
    let chunks = 0;
    try {
      for await (const chunk of caller.streamRoute({ model_type: 'stub-large', prompt: `stream ${run}` }, 10_000)) chunks += chunk.text === '' ? 0 : 1;
    } finally {
      caller.close();
    }
    expect(chunks).toBeGreaterThan(1);

    const medium = { ...GEN_AI, 'gen_ai.request.model': 'stub-medium' };
    // The miss's model call on the frontend: a text_completion CLIENT span with the model, the usage
    // the model-router reported for it, and the finish reason; the answer's tokens_used is their sum.
    const missSpans = await traceSpans(
      String(miss.body['trace_id']),
      (ss) => ss.some((s) => s.serviceName === 'frontend' && s.name === 'text_completion stub-medium') && ss.some((s) => s.serviceName === 'model-router' && s.name === 'model_inference'),
      'route miss model call',
    );
    const missTree = renderTraceTree(missSpans);
    const frontendCall = missSpans.find((s) => s.serviceName === 'frontend' && s.name === 'text_completion stub-medium');
    const missInference = missSpans.find((s) => s.serviceName === 'model-router' && s.name === 'model_inference');
    expect(frontendCall, missTree).toMatchObject({
      kind: 'CLIENT',
      attributes: { ...medium, 'gen_ai.response.model': 'stub-medium', 'gen_ai.response.finish_reasons': ['stop'], 'server.address': '127.0.0.1', 'server.port': system.modelRouter.port },
    });
    assertParentChild(missSpans, frontendCall!, missInference!, { direct: false });
    const missInput = Number(frontendCall?.attributes['gen_ai.usage.input_tokens']);
    const missOutput = Number(frontendCall?.attributes['gen_ai.usage.output_tokens']);
    expect([missInput, missOutput].every((n) => n > 0), missTree).toBe(true);
    expect(missInput + missOutput).toBe(Number(miss.body['tokens_used']));
    expect(missInference?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': missInput, 'gen_ai.usage.output_tokens': missOutput });
    // One call reached the model (the hit did not): one operation, its tokens split input/output.
    await expect.poll(() => lastPoint('gen_ai.client.operation.duration', 'frontend', { ...medium, 'gen_ai.response.model': 'stub-medium' })?.histogram?.count, { timeout: 15_000 }).toBe(1);
    const tokensIn = lastPoint('gen_ai.client.token.usage', 'frontend', { ...medium, 'gen_ai.token.type': 'input' })?.histogram;
    const tokensOut = lastPoint('gen_ai.client.token.usage', 'frontend', { ...medium, 'gen_ai.token.type': 'output' })?.histogram;
    expect([tokensIn?.count, tokensOut?.count]).toEqual([1, 1]);
    expect([tokensIn?.sum, tokensOut?.sum]).toEqual([missInput, missOutput]);
    // The unknown model failed with the gRPC status as error.type, used no tokens, and is counted under
    // "other": a name no server answered for never becomes a series.
    await expect.poll(() => lastPoint('gen_ai.client.operation.duration', 'frontend', { 'gen_ai.request.model': 'other', 'error.type': 'NOT_FOUND' })?.histogram?.count, { timeout: 15_000 }).toBe(1);
    expect(system.receiver.metrics().filter((p) => p.name === 'gen_ai.client.token.usage' && p.attributes['gen_ai.request.model'] === 'stub-nonexistent')).toEqual([]);

    // The model-router: one request each for stub-medium and the stream; first-token metrics for the stream only.
    await expect.poll(() => lastPoint('gen_ai.server.request.duration', 'model-router', { ...medium, 'gen_ai.response.model': 'stub-medium' })?.histogram?.count, { timeout: 15_000 }).toBe(1);
    const large = { ...GEN_AI, 'gen_ai.request.model': 'stub-large', 'gen_ai.response.model': 'stub-large' };
    await expect.poll(() => lastPoint('gen_ai.server.time_to_first_token', 'model-router', large)?.histogram?.count, { timeout: 15_000 }).toBe(1);
    expect(lastPoint('gen_ai.server.time_per_output_token', 'model-router', large)?.histogram?.count).toBe(1);
    expect(lastPoint('gen_ai.server.time_to_first_token', 'model-router', medium)).toBeUndefined();
    expect(lastPoint('gen_ai.server.request.duration', 'model-router', large)?.unit).toBe('s');
  });
});

describe('stable RPC conventions on the gRPC hop', () => {
  // After the tests above: the orchestrator called Route once (the workflow), the frontend twice
  // (a miss, and an unknown model: NOT_FOUND), and the test streamed once, straight to the model-router.
  const ROUTE = 'mcp.model_router.v1.ModelRouter/Route';
  const grpcCall = (method: string, status: string) => ({ 'rpc.system.name': 'grpc', 'rpc.method': method, 'rpc.status_code': status });

  it('rpc.client.call.duration and rpc.server.call.duration count every call, by fully-qualified method and status name', async () => {
    const calls = (name: string, service: string, attributes: Record<string, unknown>) => () => lastPoint(name, service, attributes)?.histogram?.count;
    await expect.poll(calls('rpc.client.call.duration', 'workflow-orchestrator', grpcCall(ROUTE, 'OK')), { timeout: 15_000 }).toBe(1);
    await expect.poll(calls('rpc.client.call.duration', 'frontend', grpcCall(ROUTE, 'OK')), { timeout: 15_000 }).toBe(1);
    await expect.poll(calls('rpc.client.call.duration', 'frontend', { ...grpcCall(ROUTE, 'NOT_FOUND'), 'error.type': 'NOT_FOUND' }), { timeout: 15_000 }).toBe(1);
    await expect.poll(calls('rpc.server.call.duration', 'model-router', grpcCall(ROUTE, 'OK')), { timeout: 15_000 }).toBe(2);
    await expect.poll(calls('rpc.server.call.duration', 'model-router', grpcCall('mcp.model_router.v1.ModelRouter/StreamRoute', 'OK')), { timeout: 15_000 }).toBe(1);
    // NOT_FOUND is the caller's mistake: a failure for the client, not for the server.
    const notFound = lastPoint('rpc.server.call.duration', 'model-router', grpcCall(ROUTE, 'NOT_FOUND'));
    expect(notFound?.histogram?.count).toBe(1);
    expect(notFound?.attributes).not.toHaveProperty('error.type');
    const client = lastPoint('rpc.client.call.duration', 'frontend', grpcCall(ROUTE, 'OK'));
    expect(client).toMatchObject({ unit: 's', attributes: { 'server.address': '127.0.0.1', 'server.port': system.modelRouter.port } });
  });
});

describe('everything this file\'s system exported', () => {
  it('is current semantic conventions or declared in the registry, with the registry\'s types and units', () => {
    const inventory = addToInventory(emptyInventory(), { spans: system.receiver.spans(), metrics: system.receiver.metrics(), logs: system.receiver.logs() }, 'telemetry-conventions');
    const result = classifyInventory(inventory, loadRegistry(), loadSemconvCatalog(), { requireEveryEntryEmitted: false });
    console.log(`[TELEMETRY] ${formatCounts(result.counts)}`);
    expect(result.violations).toEqual([]);
    expect(result.counts['custom declared']).toBeGreaterThan(20);
    expect(result.counts.moved).toBeGreaterThan(5);
  });
});
