// The compiled service (dist/main.js) as a real child process with the telemetry preload, exporting
// to an in-process OTLP receiver: what it really exports for a workflow run. The model-router here
// is this app's in-test gRPC stand-in (test/support/model-router.stand-in.ts); the external API and
// the hub are real local HTTP servers.
import { randomBytes, randomUUID } from 'node:crypto';
import { MODEL_ROUTER_SERVICE } from '@mcp/contracts';
import { assertParentChild, renderTraceTree, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@mcp/otlp-receiver';
import { serviceEntry, spawnService, useProcessCleanup, type ServiceProcess } from '@mcp/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExternalApi, startHubRecorder, type HubRecorder, type TestServer } from './support/http-fixtures';
import { startModelRouterStandIn, type ModelRouterStandIn } from './support/model-router.stand-in';
import type { Json } from './support/orchestrator.harness';

useProcessCleanup();

let receiver: OtlpReceiver;
let router: ModelRouterStandIn;
let api: TestServer;
let hub: HubRecorder;

beforeAll(async () => {
  [receiver, router, api, hub] = await Promise.all([startOtlpReceiver(), startModelRouterStandIn(), startExternalApi(), startHubRecorder()]);
});
afterAll(async () => {
  await Promise.all([receiver?.close(), router?.close(), api?.close(), hub?.close()]);
});

async function startService(serviceName: string): Promise<ServiceProcess> {
  return spawnService(serviceEntry('workflow-orchestrator'), {
    serviceName,
    endpoint: receiver.url,
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      MODEL_ROUTER_ADDRESS: router.address,
      EXTERNAL_API_ALLOWLIST: api.host,
      COLLABORATION_HUB_URL: hub.url,
      INTERNAL_API_SECRET: 'telemetry-secret',
      MONGODB_URL: undefined,
    },
  });
}

async function post(service: ServiceProcess, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(`${service.url}/workflows/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const single = async (spans: Promise<ReceivedSpan[]>): Promise<ReceivedSpan> => {
  const [first] = await spans;
  if (!first) throw new Error('no span');
  return first;
};

describe('telemetry of the compiled service', () => {
  it('makes one trace of a run: Fastify server span → workflow_execution → steps → gRPC and fetch client spans; seed metrics; no input text anywhere', async () => {
    const serviceName = `workflow-orchestrator-${randomUUID().slice(0, 8)}`;
    const service = await startService(serviceName);
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const canary = `canary-${randomUUID()}`;
    const workflowType = `telemetry-${randomUUID().slice(0, 8)}`;

    const { status, body: run } = await post(
      service,
      {
        workflow_type: workflowType,
        session_id: 'sess-telemetry',
        input_data: { text: `${canary} wrote this sentence. And another one.` },
        steps: [
          { type: 'model_inference', name: 'draft', model_type: 'stub-medium', prompt_template: 'Summarise: {text}' },
          { type: 'data_processing', name: 'shout', operation: 'uppercase' },
          { type: 'external_api', name: 'publish', url: `${api.url}/echo`, method: 'POST' },
        ],
      },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(status, service.describe()).toBe(200);
    expect(run).toMatchObject({ status: 'completed', completed_steps: 3, trace_id: traceId });

    // --- spans: one trace, with the edges the code promises
    const inTrace = { serviceName, traceId };
    const server = await single(receiver.waitForSpans({ ...inTrace, kind: 'SERVER' }));
    const execution = await single(receiver.waitForSpans({ ...inTrace, name: 'workflow_execution' }));
    const steps = await receiver.waitForSpans({ ...inTrace, name: /^workflow_step_/ }, { count: 3 });
    const grpc = await single(receiver.waitForSpans({ ...inTrace, kind: 'CLIENT', attributes: { 'rpc.method': `${MODEL_ROUTER_SERVICE}/Route` } }));
    const apiCall = await single(receiver.waitForSpans({ ...inTrace, kind: 'CLIENT', attributes: { 'server.port': api.port } }));
    const hubCalls = await receiver.waitForSpans({ ...inTrace, kind: 'CLIENT', attributes: { 'server.port': hub.port } }, { count: 5 });
    const spans = receiver.spans().filter((span) => span.traceId === traceId);
    const tree = renderTraceTree(spans);

    expect(server.parentSpanId, tree).toBe(callerSpanId);
    expect(server, tree).toMatchObject({ name: 'POST /workflows/execute' });
    expect(server.attributes, tree).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/workflows/execute', 'http.response.status_code': 200 });
    assertParentChild(spans, server, execution);
    expect(execution.attributes, tree).toMatchObject({ 'mcp.workflow_id': run.progress_id, 'mcp.workflow_type': workflowType, 'mcp.workflow_steps': 3, 'mcp.workflow_success': true, 'mcp.completed_steps': 3 });

    const stepSpan = (type: string) => {
      const found = steps.find((span) => span.name === `workflow_step_${type}`);
      if (!found) throw new Error(`no workflow_step_${type}\n${tree}`);
      return found;
    };
    for (const [index, type] of ['model_inference', 'data_processing', 'external_api'].entries()) {
      assertParentChild(spans, execution, stepSpan(type));
      expect(stepSpan(type).attributes, tree).toMatchObject({ 'mcp.step_index': index, 'mcp.step_type': type, 'mcp.step_success': true, 'mcp.workflow_id': run.progress_id });
    }
    // The GenAI client span (text_completion <model>) sits between the step and the gRPC call.
    const { child: completion } = assertParentChild(spans, stepSpan('model_inference'), { kind: 'CLIENT', name: 'text_completion stub-medium' });
    assertParentChild(spans, completion, grpc);
    expect(completion.attributes, tree).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'mcp_model_router',
      'gen_ai.request.model': 'stub-medium',
      'gen_ai.response.model': 'stub-medium',
      'server.address': '127.0.0.1',
    });
    expect(Number(completion.attributes['gen_ai.usage.input_tokens']) + Number(completion.attributes['gen_ai.usage.output_tokens']), tree).toBe(run.steps[0]?.output?.['tokens_used']);
    expect(grpc.attributes, tree).toMatchObject({ 'rpc.system.name': 'grpc', 'rpc.method': `${MODEL_ROUTER_SERVICE}/Route`, 'rpc.status_code': 'OK' });
    assertParentChild(spans, stepSpan('external_api'), apiCall);
    for (const call of hubCalls) assertParentChild(spans, execution, call);

    // Context crossed the wire: the external API and the hub saw this trace.
    expect(api.requests[0]?.headers['traceparent'], tree).toMatch(new RegExp(`^00-${traceId}-${apiCall.spanId}-01$`));
    expect(hub.requests.map((r) => String(r.headers['traceparent']).split('-')[1])).toEqual(Array(5).fill(traceId));
    expect(hub.requests.every((r) => r.headers['x-internal-secret'] === 'telemetry-secret')).toBe(true);

    // --- a failed run, for the error series
    const failed = await post(service, { workflow_type: workflowType, input_data: { text: canary }, steps: [{ type: 'model_inference', name: 'missing', model_type: 'stub-absent', prompt_template: '{text}' }] });
    expect(failed.body).toMatchObject({ status: 'failed', steps: [{ error: 'model-router: unknown model_type "stub-absent"' }] });
    const failedExecution = await single(receiver.waitForSpans({ serviceName, traceId: failed.body.trace_id, name: 'workflow_execution' }));
    expect(failedExecution).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'error.type': 'NOT_FOUND', 'mcp.workflow_success': false } });

    // --- metrics the two runs imply (cumulative)
    const ok = (point: { attributes: Record<string, unknown> }) => point.attributes['error.type'] === undefined;
    const byType = { 'mcp.workflow_type': workflowType, 'mcp.service': 'workflow-orchestrator' };
    expect((await receiver.waitForMetric('mcp_workflow_execution_total', { attributes: byType, predicate: (p) => ok(p) && p.value === 1 })).value).toBe(1);
    expect((await receiver.waitForMetric('mcp_workflow_execution_total', { attributes: { ...byType, 'error.type': 'NOT_FOUND' }, predicate: (p) => p.value === 1 })).value).toBe(1);
    for (const type of ['model_inference', 'data_processing', 'external_api']) {
      const point = await receiver.waitForMetric('mcp_workflow_step_total', { attributes: { 'mcp.step_type': type }, predicate: (p) => ok(p) && p.value === 1 });
      expect(point.value).toBe(1);
    }
    const failedStep = await receiver.waitForMetric('mcp_workflow_step_total', { attributes: { 'mcp.step_type': 'model_inference', 'error.type': 'NOT_FOUND' }, predicate: (p) => p.value === 1 });
    expect(failedStep.value).toBe(1);
    const duration = await receiver.waitForMetric('mcp_workflow_execution_duration_seconds', { attributes: byType, predicate: (p) => ok(p) && (p.histogram?.count ?? 0) >= 1 });
    expect(duration.unit).toBe('s');
    const delivered = await receiver.waitForMetric('mcp_workflow_progress_events_total', { attributes: { 'mcp.delivery': 'delivered', 'mcp.progress_event_type': 'step.completed' }, predicate: (p) => p.value === 3 });
    expect(delivered.value).toBe(3);

    // --- logs carry the trace id
    const logs = await receiver.waitForLogs((log) => log.traceId === traceId && log.body === 'workflow run finished');
    expect(logs[0]?.serviceName).toBe(serviceName);

    // --- and the input text (prompt, data, model answer) is in no span, metric or log
    expect(receiver.scanFor(canary)).toEqual([]);
    expect(receiver.scanFor(canary.toUpperCase())).toEqual([]);
    // A run id is the capability to read the run: spans, metrics and logs name runs by progress_id.
    expect(receiver.scanFor(run.run_id)).toEqual([]);
    expect(receiver.scanFor(failed.body.run_id)).toEqual([]);
  });

  it('SIGTERM drains: the run in flight finishes and is answered, its spans are exported, the process exits 0', async () => {
    const serviceName = `workflow-orchestrator-drain-${randomUUID().slice(0, 8)}`;
    const service = await startService(serviceName);
    // SIGTERM arrives while the run's model step waits at the model-router.
    router.setBehaviour({ latencyMs: 500, onRoute: () => service.kill('SIGTERM') });
    try {
      const { status, body: run, headers } = await post(service, {
        workflow_type: 'drain',
        input_data: { topic: 'x' },
        steps: [{ type: 'model_inference', name: 'slow', model_type: 'stub-small', prompt_template: '{topic}' }],
      });
      expect(status, service.describe()).toBe(200);
      // Answered with Connection: close, so its keep-alive socket does not hold the drain open.
      expect(headers.get('connection')).toBe('close');
      expect(run.status).toBe('completed');
      expect(await service.waitForExit(15_000), service.describe()).toEqual({ code: 0, signal: null });
      const [execution] = await receiver.waitForSpans({ serviceName, name: 'workflow_execution', attributes: { 'mcp.workflow_id': run.progress_id } });
      expect(execution?.attributes['mcp.workflow_success']).toBe(true);
    } finally {
      router.setBehaviour({});
    }
  });
});
