import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { MODEL_ROUTER_SERVICE, createModelRouterClient } from '@mcp/contracts';
import type { ModelRouterCaller } from '@mcp/contracts';
import { assertParentChild, renderTraceTree, startOtlpReceiver } from '@mcp/otlp-receiver';
import type { OtlpReceiver, ReceivedMetricPoint, ReceivedSpan } from '@mcp/otlp-receiver';
import { serviceEntry, spawnService, useProcessCleanup } from '@mcp/test-kit';
import type { ServiceProcess } from '@mcp/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, grpcError, present } from './support/router-harness.js';

// The compiled service (apps/model-router/dist/main.js) as a child process with the preload, as
// production runs it, exporting OTLP/HTTP to an in-process receiver.

useProcessCleanup();

const RPC = { 'rpc.system.name': 'grpc' };
const method = (name: string) => `${MODEL_ROUTER_SERVICE}/${name}`;
const DEADLINE_MS = 5_000;

let receiver: OtlpReceiver;
const clients: ModelRouterCaller[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  await receiver?.close();
});

async function startService(env: Record<string, string> = {}): Promise<{ service: ServiceProcess; serviceName: string; client: ModelRouterCaller }> {
  const serviceName = `model-router-${randomUUID().slice(0, 8)}`;
  const service = await spawnService(serviceEntry('model-router'), { serviceName, endpoint: receiver.url, env: { PORT: '0', HOST: '127.0.0.1', ...env } });
  const client = createModelRouterClient(`127.0.0.1:${service.port}`);
  clients.push(client);
  await client.waitForReady(DEADLINE_MS);
  return { service, serviceName, client };
}

const serverSpanQuery = (serviceName: string, method: string) => ({ serviceName, kind: 'SERVER' as const, name: `grpc.${MODEL_ROUTER_SERVICE}/${method}` });
const ofService = (serviceName: string, extra?: (p: ReceivedMetricPoint) => boolean) => (p: ReceivedMetricPoint) => p.serviceName === serviceName && (extra?.(p) ?? true);
const noError = (p: ReceivedMetricPoint) => p.attributes['error.type'] === undefined;

function inferenceUnder(spans: ReceivedSpan[], server: ReceivedSpan): ReceivedSpan {
  const { child } = assertParentChild(spans, server, { name: 'model_inference', traceId: server.traceId });
  return child;
}

describe('model-router telemetry (compiled service, preload, OTLP receiver)', () => {
  it('Route and StreamRoute: gRPC SERVER span → model_inference child, mcp_* metrics with the implied values, correlated logs, no prompt anywhere', async () => {
    const { serviceName, client } = await startService();
    const canary = `canary-${randomUUID()}`;
    const prompt = `Please explain ${canary} and distributed tracing.`;
    const otherPrompt = `Another question about ${canary}?`;

    const first = await client.route({ model_type: 'stub-small', prompt, user_id: 'user-4711' }, DEADLINE_MS);
    const second = await client.route({ model_type: 'stub-small', prompt }, DEADLINE_MS);
    const medium = await client.route({ model_type: 'stub-medium', prompt: otherPrompt }, DEADLINE_MS);
    const chunks = await collect(client.streamRoute({ model_type: 'stub-large', prompt }, DEADLINE_MS));
    expect(second).toMatchObject({ response: first.response, tokens_used: first.tokens_used });

    const routeSpans = await receiver.waitForSpans(serverSpanQuery(serviceName, 'Route'), { count: 3 });
    const firstRoute = present(routeSpans[0]);
    const streamSpan = present((await receiver.waitForSpans(serverSpanQuery(serviceName, 'StreamRoute')))[0]);
    await receiver.waitForSpans({ serviceName, name: 'model_inference' }, { count: 4 });
    const spans = receiver.spans();
    const tree = renderTraceTree(spans.filter((s) => s.serviceName === serviceName));

    for (const server of routeSpans) {
      expect(server.attributes, tree).toMatchObject({ ...RPC, 'rpc.method': method('Route'), 'rpc.status_code': 'OK' });
      expect(server.status.code).toBe('UNSET');
    }
    const inferences = routeSpans.map((server) => inferenceUnder(spans, server));
    const small = inferences.filter((s) => s.attributes['mcp.model_type'] === 'stub-small');
    expect(small, tree).toHaveLength(2);
    for (const span of small) {
      expect(span.kind).toBe('INTERNAL');
      expect(span.attributes).toMatchObject({ 'mcp.model_type': 'stub-small', 'mcp.tokens_used': first.tokens_used, 'mcp.prompt_length': prompt.length, 'mcp.response_length': first.response.length });
    }
    expect(inferences.find((s) => s.attributes['mcp.model_type'] === 'stub-medium')?.attributes).toMatchObject({ 'mcp.tokens_used': medium.tokens_used, 'mcp.prompt_length': otherPrompt.length });

    expect(streamSpan.attributes, tree).toMatchObject({ ...RPC, 'rpc.method': method('StreamRoute'), 'rpc.status_code': 'OK' });
    expect(inferenceUnder(spans, streamSpan).attributes).toMatchObject({ 'mcp.model_type': 'stub-large', 'mcp.tokens_used': present(chunks.at(-1)).tokens_used });

    const inferenceTotal = (model: string, value: number) =>
      receiver.waitForMetric('mcp_model_inference_total', { attributes: { 'mcp.model_type': model, 'mcp.service': 'model-router' }, predicate: ofService(serviceName, (p) => noError(p) && p.value === value) });
    await inferenceTotal('stub-small', 2);
    await inferenceTotal('stub-medium', 1);
    await inferenceTotal('stub-large', 1);
    await receiver.waitForMetric('mcp_model_token_usage_total', { attributes: { 'mcp.model_type': 'stub-small' }, predicate: ofService(serviceName, (p) => p.value === 2 * first.tokens_used) });
    await receiver.waitForMetric('mcp_model_token_usage_total', { attributes: { 'mcp.model_type': 'stub-medium' }, predicate: ofService(serviceName, (p) => p.value === medium.tokens_used) });
    const duration = await receiver.waitForMetric('mcp_model_inference_duration_seconds', { attributes: { 'mcp.model_type': 'stub-small' }, predicate: ofService(serviceName, (p) => p.histogram?.count === 2) });
    expect(duration.unit).toBe('s');
    await receiver.waitForMetric('mcp_content_generation_total', { attributes: { 'mcp.model_type': 'stub-small' }, predicate: ofService(serviceName, (p) => p.value === 2) });
    await receiver.waitForMetric('mcp_cost_by_model_total', {
      attributes: { 'mcp.model_type': 'stub-small' },
      predicate: ofService(serviceName, (p) => Math.abs((p.value ?? 0) - 2 * first.cost_usd) < 1e-9),
    });
    await receiver.waitForMetric('mcp_active_inferences', { attributes: { 'mcp.model_type': 'stub-small' }, predicate: ofService(serviceName, (p) => p.value === 0) });

    // GenAI conventions: the same inferences as a model server reports them.
    for (const span of small) {
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'text_completion',
        'gen_ai.provider.name': 'mcp_model_router',
        'gen_ai.request.model': 'stub-small',
        'gen_ai.response.model': 'stub-small',
        'gen_ai.usage.input_tokens': first.prompt_tokens,
        'gen_ai.usage.output_tokens': first.completion_tokens,
        'gen_ai.response.finish_reasons': ['stop'],
      });
      expect(span.attributes).not.toHaveProperty('gen_ai.input.messages');
    }
    const genAi = (model: string) => ({ 'gen_ai.operation.name': 'text_completion', 'gen_ai.provider.name': 'mcp_model_router', 'gen_ai.request.model': model, 'gen_ai.response.model': model });
    const serverDuration = await receiver.waitForMetric('gen_ai.server.request.duration', { attributes: genAi('stub-small'), predicate: ofService(serviceName, (p) => p.histogram?.count === 2) });
    expect(serverDuration.unit).toBe('s');
    expect(serverDuration.histogram?.explicitBounds).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    // Only the streamed answer has a first token of its own: one recording each, for stub-large.
    const ttft = await receiver.waitForMetric('gen_ai.server.time_to_first_token', { attributes: genAi('stub-large'), predicate: ofService(serviceName, (p) => p.histogram?.count === 1) });
    const tpot = await receiver.waitForMetric('gen_ai.server.time_per_output_token', { attributes: genAi('stub-large'), predicate: ofService(serviceName, (p) => p.histogram?.count === 1) });
    const streamDuration = await receiver.waitForMetric('gen_ai.server.request.duration', { attributes: genAi('stub-large'), predicate: ofService(serviceName, (p) => p.histogram?.count === 1) });
    expect(ttft.histogram?.sum ?? Infinity).toBeLessThan(streamDuration.histogram?.sum ?? 0);
    expect(tpot.histogram?.sum ?? 0).toBeGreaterThan(0);
    expect(receiver.metrics().filter((p) => p.serviceName === serviceName && p.name === 'gen_ai.server.time_to_first_token' && p.attributes['gen_ai.request.model'] !== 'stub-large')).toEqual([]);

    // Stable RPC conventions: every call's duration, by fully-qualified method and status name; no health check.
    const rpc = (method: string) => ({ 'rpc.system.name': 'grpc', 'rpc.method': `${MODEL_ROUTER_SERVICE}/${method}`, 'rpc.status_code': 'OK' });
    const routeCalls = await receiver.waitForMetric('rpc.server.call.duration', { attributes: rpc('Route'), predicate: ofService(serviceName, (p) => p.histogram?.count === 3) });
    expect(routeCalls.unit).toBe('s');
    expect(routeCalls.attributes).not.toHaveProperty('error.type');
    await receiver.waitForMetric('rpc.server.call.duration', { attributes: rpc('StreamRoute'), predicate: ofService(serviceName, (p) => p.histogram?.count === 1) });
    expect(receiver.metrics().filter((p) => p.serviceName === serviceName && p.name === 'rpc.server.call.duration' && String(p.attributes['rpc.method']).startsWith('grpc.health'))).toEqual([]);

    // Each call's log line carries its trace: the preload's pino instrumentation correlates and exports it.
    const log = present(
      (
        await receiver.waitForLogs((l) => l.serviceName === serviceName && l.traceId === firstRoute.traceId && l.body === 'rpc completed')
      )[0],
    );
    expect(log.attributes).toMatchObject({ rpc: 'Route', grpc_status: 'OK', prompt_length: prompt.length });
    expect(log.spanId).toBe(firstRoute.spanId);

    // Lengths and counts only: the prompt, its unique marker and the user id never leave the process.
    expect(receiver.scanFor(canary)).toEqual([]);
    expect(receiver.scanFor(prompt)).toEqual([]);
    expect(receiver.scanFor('user-4711')).toEqual([]);
  });

  it('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true: prompt and answer as gen_ai input/output messages on the model_inference span', async () => {
    const { serviceName, client } = await startService({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' });
    const prompt = `Tell me about capture ${randomUUID()}`;
    const answer = await client.route({ model_type: 'stub-small', prompt }, DEADLINE_MS);

    const [span] = await receiver.waitForSpans({ serviceName, name: 'model_inference' });
    expect(JSON.parse(String(span?.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: prompt }] }]);
    expect(JSON.parse(String(span?.attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: answer.response }], finish_reason: 'stop' },
    ]);
  });

  it('a failed inference (MODEL_FAILURE_RATE=1): both spans ERROR with error.type, error metrics counted', async () => {
    const { serviceName, client } = await startService({ MODEL_FAILURE_RATE: '1' });
    const error = await grpcError(client.route({ model_type: 'stub-medium', prompt: 'this will fail' }, DEADLINE_MS));
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);

    const server = present((await receiver.waitForSpans(serverSpanQuery(serviceName, 'Route')))[0]);
    await receiver.waitForSpans({ serviceName, name: 'model_inference' });
    const spans = receiver.spans();
    const inference = inferenceUnder(spans, server);
    expect(server, renderTraceTree(spans)).toMatchObject({
      status: { code: 'ERROR' },
      attributes: { ...RPC, 'rpc.method': method('Route'), 'rpc.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE' },
    });
    expect(inference).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'error.type': 'UNAVAILABLE', 'mcp.inference_success': false, 'mcp.model_type': 'stub-medium' } });
    expect(inference.events.map((e) => e.name)).toContain('exception');

    const failed = { 'mcp.model_type': 'stub-medium', 'error.type': 'UNAVAILABLE' };
    await receiver.waitForMetric('mcp_model_inference_errors_total', { attributes: failed, predicate: ofService(serviceName, (p) => p.value === 1) });
    await receiver.waitForMetric('mcp_model_inference_total', { attributes: failed, predicate: ofService(serviceName, (p) => p.value === 1) });
    expect(receiver.metrics().filter((p) => p.serviceName === serviceName && p.name === 'mcp_model_token_usage_total')).toEqual([]);
    await receiver.waitForMetric('rpc.server.call.duration', {
      attributes: { 'rpc.method': `${MODEL_ROUTER_SERVICE}/Route`, 'rpc.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE' },
      predicate: ofService(serviceName, (p) => p.histogram?.count === 1),
    });
  });

  it('SIGTERM: the in-flight call finishes, the process exits 0, and its spans, metrics and logs are flushed', async () => {
    // Export timers far away: whatever arrives was sent by the shutdown flush.
    const { service, serviceName, client } = await startService({
      MODEL_EXTRA_LATENCY_MS: '500',
      LOG_LEVEL: 'debug',
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      OTEL_BLRP_SCHEDULE_DELAY: '60000',
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
    });
    const call = client.route({ model_type: 'stub-small', prompt: 'finish before exiting' }, DEADLINE_MS);
    await service.waitForJsonLine((l) => l['msg'] === 'rpc started');
    service.kill('SIGTERM');

    expect((await call).tokens_used).toBeGreaterThan(0);
    expect(await service.waitForExit(15_000), service.describe()).toEqual({ code: 0, signal: null });
    expect(service.jsonLines().find((l) => l['msg'] === 'grpc server stopped')).toMatchObject({ how: 'graceful' });

    const server = present((await receiver.waitForSpans(serverSpanQuery(serviceName, 'Route'), { timeoutMs: 2_000 }))[0]);
    expect(server.attributes['rpc.status_code']).toBe('OK');
    inferenceUnder(receiver.spans(), server);
    await receiver.waitForMetric('mcp_model_inference_total', { attributes: { 'mcp.model_type': 'stub-small' }, predicate: ofService(serviceName, (p) => p.value === 1), timeoutMs: 2_000 });
    await receiver.waitForLogs((l) => l.serviceName === serviceName && l.body === 'grpc server stopped', { timeoutMs: 2_000 });
  });
});
