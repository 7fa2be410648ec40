/**
 * Issue 3's trace-based tests: the four services as real child processes with the preload, on free
 * ports, against this machine's Redis and PostgreSQL, exporting to one OTLP receiver.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertParentChild, findMetric, groupByService, logsForTrace, renderTraceTree, type ReceivedSpan } from '@mcp/otlp-receiver';
import { DATABASE_URL, postJson, startSystem, type RunningSystem } from './support/system';

const run = randomUUID().slice(0, 8);
let system: RunningSystem;
let ledger: pg.Client;

/** A client-side root: the test plays the browser, so it knows every trace id in advance. */
function newTraceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

const isGrpc = (method: string, kind: 'CLIENT' | 'SERVER') => (s: ReceivedSpan) =>
  s.kind === kind && s.attributes['rpc.system.name'] === 'grpc' && s.attributes['rpc.method'] === `mcp.model_router.v1.ModelRouter/${method}`;
const dbSystem = (s: ReceivedSpan) => String(s.attributes['db.system.name'] ?? s.attributes['db.system'] ?? '');
const statement = (s: ReceivedSpan) => String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '');

async function traceSpans(traceId: string, until: (spans: ReceivedSpan[]) => boolean, what: string): Promise<ReceivedSpan[]> {
  await system.receiver.waitForSpans((s) => s.traceId === traceId && until(system.receiver.spans().filter((x) => x.traceId === traceId)), {
    timeoutMs: 20_000,
    description: what,
  });
  return system.receiver.spans().filter((s) => s.traceId === traceId);
}

beforeAll(async () => {
  system = await startSystem(run);
  ledger = new pg.Client({ connectionString: DATABASE_URL });
  await ledger.connect();
}, 120_000);

afterAll(async () => {
  await ledger?.end();
  await system?.stop();
}, 60_000);

describe('POST /api/route: a miss, then a hit', () => {
  const prompt = `system-test prompt ${run} — say something about otters`;
  const userId = `user-${run}`;

  it('miss: frontend → gRPC → model-router in one trace, with Redis GET+SET and a pg INSERT', async () => {
    const { traceId, header } = newTraceparent();
    const res = await postJson(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt, user_id: userId }, { traceparent: header });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ model_type: 'stub-small', cached: false });
    expect(typeof res.body['response']).toBe('string');
    expect(Number(res.body['tokens_used'])).toBeGreaterThan(0);

    const spans = await traceSpans(traceId, (ss) => ss.some(isGrpc('Route', 'SERVER')) && ss.some((s) => dbSystem(s) === 'postgresql' && /insert/i.test(statement(s))), 'route miss');
    const tree = renderTraceTree(spans);
    const server = spans.find((s) => s.serviceName === 'frontend' && s.kind === 'SERVER' && s.attributes['http.route'] === '/api/route');
    expect(server, tree).toBeDefined();
    assertParentChild(spans, server!, isGrpc('Route', 'CLIENT'), { direct: false });
    assertParentChild(spans, isGrpc('Route', 'CLIENT'), isGrpc('Route', 'SERVER'));
    expect(spans.find(isGrpc('Route', 'SERVER'))?.serviceName).toBe('model-router');
    assertParentChild(spans, isGrpc('Route', 'SERVER'), { name: 'model_inference', serviceName: 'model-router' }, { direct: false });
    const redis = spans.filter((s) => dbSystem(s) === 'redis');
    expect(redis.map((s) => statement(s).split(' ')[0]?.toUpperCase()).sort(), tree).toEqual(expect.arrayContaining(['GET', 'SET']));
    expect(spans.some((s) => dbSystem(s) === 'postgresql' && /insert/i.test(statement(s))), tree).toBe(true);

    const rows = await ledger.query('SELECT cached FROM usage_ledger WHERE trace_id = $1', [traceId]);
    expect(rows.rows).toEqual([{ cached: false }]);
  });

  it('hit: no gRPC span, cached=true, and the cache-hit metric counts 1', async () => {
    const { traceId, header } = newTraceparent();
    const res = await postJson(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt, user_id: userId }, { traceparent: header });
    expect(res.status).toBe(200);
    expect(res.body['cached']).toBe(true);

    const spans = await traceSpans(traceId, (ss) => ss.some((s) => dbSystem(s) === 'postgresql' && /insert/i.test(statement(s))), 'route hit');
    expect(spans.filter((s) => s.attributes['rpc.system.name'] === 'grpc'), renderTraceTree(spans)).toEqual([]);
    const hit = await system.receiver.waitForMetric('mcp_model_cache_hits_total', {
      timeoutMs: 10_000,
      predicate: (p) => p.serviceName === 'frontend' && p.attributes['mcp.model_type'] === 'stub-small' && Number(p.value) >= 1,
    });
    expect(Number(hit.value)).toBe(1);
    const rows = await ledger.query('SELECT cached FROM usage_ledger WHERE trace_id = $1', [traceId]);
    expect(rows.rows).toEqual([{ cached: true }]);
  });
});

describe('POST /api/workflow/execute: one trace across all four services and the socket', () => {
  let client: Socket;
  const sessionId = `session-${run}`;
  const progress: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    client = io(system.hub.url, { transports: ['websocket'], reconnection: false });
    client.on('workflow:progress', (event: Record<string, unknown>) => progress.push(event));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    const ack = await client.timeout(5_000).emitWithAck('session:join', { session_id: sessionId, user_id: `watcher-${run}` });
    expect(ack).toMatchObject({ ok: true });
  });

  afterAll(() => {
    client?.close();
  });

  it('runs all three step types, and every hop is a parent/child edge of one trace', async () => {
    const { traceId, header } = newTraceparent();
    const secretText = `unique-input-${run}`;
    const res = await postJson(
      `${system.frontend.url}/api/workflow/execute`,
      {
        workflow_type: 'enrich',
        session_id: sessionId,
        input_data: { text: `${secretText} otters are social animals` },
        steps: [
          { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Describe {text}' },
          { type: 'data_processing', name: 'count', operation: 'word_count' },
          { type: 'external_api', name: 'facts', url: `${system.externalApi.url}/facts` },
        ],
      },
      { traceparent: header },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', completed_steps: 3 });
    expect(system.externalApi.hits()).toBeGreaterThanOrEqual(1);

    const spans = await traceSpans(
      traceId,
      (ss) =>
        new Set(ss.map((s) => s.serviceName)).size === 4 &&
        ss.some((s) => s.serviceName === 'collaboration-hub' && /workflow:progress/.test(s.name)) &&
        // The orchestrator's SERVER span ends last (after the run): wait for it too.
        ss.some((s) => s.serviceName === 'workflow-orchestrator' && s.kind === 'SERVER'),
      'workflow across four services',
    );
    const tree = renderTraceTree(spans);
    expect([...groupByService(spans).keys()].sort(), tree).toEqual(['collaboration-hub', 'frontend', 'model-router', 'workflow-orchestrator']);

    // frontend → orchestrator (HTTP → Fastify)
    const orchestratorServer = spans.find((s) => s.serviceName === 'workflow-orchestrator' && s.kind === 'SERVER');
    expect(orchestratorServer, tree).toBeDefined();
    const frontendClient = spans.find((s) => s.spanId === orchestratorServer!.parentSpanId);
    expect(frontendClient, tree).toMatchObject({ serviceName: 'frontend', kind: 'CLIENT' });
    // orchestrator → model-router (gRPC client → server)
    const routerServer = spans.find(isGrpc('Route', 'SERVER'));
    expect(routerServer, tree).toBeDefined();
    expect(spans.find((s) => s.spanId === routerServer!.parentSpanId), tree).toMatchObject({ serviceName: 'workflow-orchestrator', kind: 'CLIENT' });
    assertParentChild(spans, { name: 'workflow_execution', serviceName: 'workflow-orchestrator' }, { name: /^workflow_step_model_inference/ }, { direct: false });
    // orchestrator → hub (HTTP → Koa) → Socket.IO emit
    const hubServers = spans.filter((s) => s.serviceName === 'collaboration-hub' && s.kind === 'SERVER');
    expect(hubServers.length, tree).toBeGreaterThan(0);
    for (const hubServer of hubServers) {
      expect(spans.find((s) => s.spanId === hubServer.parentSpanId), tree).toMatchObject({ serviceName: 'workflow-orchestrator', kind: 'CLIENT' });
    }
    assertParentChild(spans, hubServers[0]!, (s) => s.serviceName === 'collaboration-hub' && /workflow:progress/.test(s.name), { direct: false });

    // The client's events carry this trace's context.
    await expect.poll(() => progress.filter((e) => (e['type'] as string) === 'run.finished').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(progress.map((e) => e['type'])).toEqual(['run.started', 'step.completed', 'step.completed', 'step.completed', 'run.finished']);
    for (const event of progress) {
      const carrier = event['_otel'] as { traceparent?: string } | undefined;
      expect(carrier?.traceparent?.split('-')[1], JSON.stringify(event)).toBe(traceId);
    }

    // Logs of the request carry its trace id; no input or prompt text anywhere in telemetry.
    await expect.poll(() => logsForTrace(system.receiver.logs(), traceId).length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(system.receiver.scanFor(secretText)).toEqual([]);
  });
});

describe('GraphQL', () => {
  it('a query and a mutation are traced', async () => {
    const { traceId, header } = newTraceparent();
    const query = await postJson(`${system.frontend.url}/graphql`, { query: '{ models { name } }' }, { traceparent: header });
    expect(query.status).toBe(200);
    expect((query.body['data'] as { models: Array<{ name: string }> }).models.map((m) => m.name)).toEqual(expect.arrayContaining(['stub-small', 'stub-medium', 'stub-large']));
    const spans = await traceSpans(traceId, (ss) => ss.some(isGrpc('ListModels', 'SERVER')) && ss.some((s) => s.serviceName === 'frontend' && /graphql/i.test(s.name)), 'graphql query');
    expect(spans.some((s) => s.serviceName === 'frontend' && /graphql/i.test(s.name)), renderTraceTree(spans)).toBe(true);

    const mutationTrace = newTraceparent();
    const mutation = await postJson(
      `${system.frontend.url}/graphql`,
      {
        query: 'mutation Run($input: WorkflowInput!) { executeWorkflow(input: $input) { runId status } }',
        variables: { input: { workflowType: 'gql', steps: [{ type: 'data_processing', name: 'upper', operation: 'uppercase' }], inputData: { text: 'hello' } } },
      },
      { traceparent: mutationTrace.header },
    );
    expect(mutation.status, JSON.stringify(mutation.body)).toBe(200);
    expect(mutation.body['errors'], JSON.stringify(mutation.body)).toBeUndefined();
    // Both ends: each service exports on its own schedule.
    const mutationSpans = await traceSpans(
      mutationTrace.traceId,
      (ss) => ss.some((s) => s.serviceName === 'workflow-orchestrator' && s.kind === 'SERVER') && ss.some((s) => s.serviceName === 'frontend' && /graphql/i.test(s.name)),
      'graphql mutation',
    );
    expect(mutationSpans.some((s) => s.serviceName === 'frontend' && /graphql/i.test(s.name)), renderTraceTree(mutationSpans)).toBe(true);
  });
});

describe('metrics and logs', () => {
  it('the seed metrics arrive from the services that own them', async () => {
    for (const [service, metric] of [
      ['model-router', 'mcp_model_inference_total'],
      ['model-router', 'mcp_model_token_usage_total'],
      ['workflow-orchestrator', 'mcp_workflow_execution_total'],
      ['workflow-orchestrator', 'mcp_workflow_step_total'],
      ['frontend', 'mcp_model_cache_misses_total'],
      ['frontend', 'http.server.request.duration'],
    ] as const) {
      const point = await system.receiver.waitForMetric(metric, { timeoutMs: 15_000, predicate: (p) => p.serviceName === service });
      expect(point, `${metric} from ${service}`).toBeDefined();
    }
    const steps = findMetric(system.receiver.metrics().filter((p) => p.serviceName === 'workflow-orchestrator'), 'mcp_workflow_step_total');
    expect(steps).toBeDefined();
  });
});
