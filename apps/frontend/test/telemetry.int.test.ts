import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertParentChild, renderTraceTree, startOtlpReceiver } from '@mcp/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '@mcp/otlp-receiver';
import { serviceEntry, spawnService, useProcessCleanup } from '@mcp/test-kit';
import type { ServiceProcess } from '@mcp/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelRouter } from './support/fake-model-router';
import type { FakeModelRouter } from './support/fake-model-router';
import { startFakeOrchestrator } from './support/fake-orchestrator';
import type { FakeOrchestrator } from './support/fake-orchestrator';
import { DATABASE_URL, REDIS_URL, connectStores, graphql, http, uniqueSuffix } from './support/frontend-harness';
import type { Stores } from './support/frontend-harness';

useProcessCleanup();

const statementOf = (span: ReceivedSpan): string => String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? '');
const isGrpcRoute = (span: ReceivedSpan) => span.kind === 'CLIENT' && /ModelRouter\/Route$/.test(span.name);

/**
 * The compiled service (dist/main.js) as a child process with the preload, exporting to an in-process
 * OTLP receiver, against the real Redis and PostgreSQL and the stand-in model-router and orchestrator.
 */
describe('frontend telemetry (compiled, preloaded, real Redis and PostgreSQL)', () => {
  const suffix = uniqueSuffix();
  const table = `usage_ledger_otel_${suffix}`;
  const prefix = `mcp-test-otel-${suffix}:`;
  let serviceCount = 0;
  // Canaries: neither may appear in any exported span, metric or log.
  const prompt = `canary prompt ${randomUUID()}`;
  const gqlPrompt = `canary graphql prompt ${randomUUID()}`;
  const inlinePrompt = `canary inline prompt ${randomUUID()}`;
  const userId = `canary-user-${randomUUID()}`;
  let receiver: OtlpReceiver;
  let router: FakeModelRouter;
  let orchestrator: FakeOrchestrator;
  let stores: Stores;

  beforeAll(async () => {
    [receiver, router, orchestrator, stores] = await Promise.all([startOtlpReceiver({ defaultTimeoutMs: 15_000 }), startFakeModelRouter(), startFakeOrchestrator(), connectStores()]);
  });

  /** A fresh service process per test (useProcessCleanup kills it after the test), sharing Redis and the ledger table. */
  async function startService(): Promise<{ service: ServiceProcess; serviceName: string }> {
    serviceCount += 1;
    const serviceName = `frontend-test-${suffix}-${serviceCount}`;
    const service = await spawnService(serviceEntry('frontend'), {
      serviceName,
      endpoint: receiver.url,
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        REDIS_URL,
        DATABASE_URL,
        LEDGER_TABLE: table,
        LEDGER_OUTBOX_PATH: join(tmpdir(), `frontend-test-${suffix}`, 'ledger-outbox.sqlite'),
        CACHE_KEY_PREFIX: prefix,
        MODEL_ROUTER_ADDRESS: router.address,
        WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
      },
    });
    return { service, serviceName };
  }

  afterAll(async () => {
    await stores?.deleteKeys(prefix);
    await stores?.dropTable(table);
    rmSync(join(tmpdir(), `frontend-test-${suffix}`), { recursive: true, force: true });
    await Promise.all([receiver?.close(), router?.close(), orchestrator?.close(), stores?.close()]);
  });

  const traceOf = (traceId: string) => receiver.spans().filter((span) => span.traceId === traceId);
  const serverSpanOf = async (serviceName: string, route: string, traceId: string) =>
    (await receiver.waitForSpans((span) => span.serviceName === serviceName && span.kind === 'SERVER' && span.attributes['http.route'] === route && span.traceId === traceId))[0] as ReceivedSpan;

  it('a miss is one trace (HTTP SERVER span, gRPC Route CLIENT span below it, Redis GET and SET, pg INSERT); a hit has no gRPC span and counts a cache hit', async () => {
    const { service, serviceName } = await startService();
    const answer = await http(`${service.url}/api/route`, { json: { model_type: 'stub-small', prompt, user_id: userId } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.cached).toBe(false);
    const traceId: string = answer.json.trace_id;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const server = await serverSpanOf(serviceName, '/api/route', traceId);
    const grpc = (await receiver.waitForSpans((span) => span.traceId === traceId && isGrpcRoute(span)))[0] as ReceivedSpan;
    await receiver.waitForSpans({ traceId, name: 'redis-GET' });
    await receiver.waitForSpans({ traceId, name: 'redis-SET' });
    const insert = (await receiver.waitForSpans((span) => span.traceId === traceId && /^INSERT/.test(statementOf(span))))[0] as ReceivedSpan;
    const trace = traceOf(traceId);
    const tree = renderTraceTree(trace, { attributes: ['db.query.text', 'rpc.method', 'mcp.cache_hit'] });

    expect(server.name, tree).toBe('POST /api/route');
    expect(server.parentSpanId, tree).toBeUndefined();
    assertParentChild(trace, server, grpc, { direct: false });
    assertParentChild(trace, server, { name: 'redis-GET' }, { direct: false });
    assertParentChild(trace, server, { name: 'redis-SET' }, { direct: false });
    assertParentChild(trace, server, insert, { direct: false });
    expect(statementOf(insert), tree).toContain(`INSERT INTO "${table}"`);
    expect(statementOf(insert)).toContain('$10');
    expect(trace.every((span) => span.serviceName === serviceName), tree).toBe(true);

    // The trace goes on to the model-router: the gRPC call carries the client span's context.
    expect(router.routeTraceparents.at(-1)).toBe(`00-${traceId}-${grpc.spanId}-01`);

    expect(server.attributes, tree).toMatchObject({
      'mcp.cache_hit': false,
      'mcp.model_type': 'stub-small',
      'mcp.prompt_length': prompt.length,
      'mcp.tokens_used': answer.json.tokens_used,
      'http.response.status_code': 200,
    });

    // The ledger row carries the request's trace id.
    const rows = (await stores.rows(table)).filter((row) => row['user_id'] === userId);
    expect(rows.map((row) => row['trace_id'])).toEqual([traceId]);

    // The same request again: a hit.
    const hit = await http(`${service.url}/api/route`, { json: { model_type: 'stub-small', prompt, user_id: userId } });
    expect(hit.json.cached).toBe(true);
    const hitTraceId: string = hit.json.trace_id;
    const hitServer = await serverSpanOf(serviceName, '/api/route', hitTraceId);
    await receiver.waitForSpans({ traceId: hitTraceId, name: 'redis-GET' });
    await receiver.waitForSpans((span) => span.traceId === hitTraceId && /^INSERT/.test(statementOf(span)));
    const hitTrace = traceOf(hitTraceId);
    const hitTree = renderTraceTree(hitTrace);
    expect(hitTrace.filter(isGrpcRoute), hitTree).toEqual([]);
    expect(hitTrace.filter((span) => span.name === 'redis-SET'), hitTree).toEqual([]);
    expect(hitServer.attributes).toMatchObject({ 'mcp.cache_hit': true, 'mcp.tokens_used': hit.json.tokens_used });
    expect(router.routeCalls).toHaveLength(1);

    const hits = await receiver.waitForMetric('mcp_model_cache_hits_total', {
      attributes: { 'mcp.model_type': 'stub-small', 'mcp.service': 'frontend' },
      predicate: (point) => point.serviceName === serviceName && point.value === 1,
    });
    expect(hits.unit).toBe('{request}');
    // Recorded by the frontend's code, so under its meter scope (not the model-router's).
    expect(hits.scope.name).toBe('frontend');
    const misses = await receiver.waitForMetric('mcp_model_cache_misses_total', { predicate: (point) => point.serviceName === serviceName && point.value === 1 });
    expect(misses.attributes).toMatchObject({ 'mcp.model_type': 'stub-small' });
    // The cost of the miss is counted once, by model and user TYPE, never by user.
    const cost = await receiver.waitForMetric('mcp_cost_by_user_total', { predicate: (point) => point.serviceName === serviceName });
    expect(cost.attributes).toEqual({ 'mcp.user_type': 'identified', 'mcp.model_type': 'stub-small' });
  });

  it('a GraphQL query is traced: parse, validate, execute and the root resolvers, no trivial resolver spans', async () => {
    const { service, serviceName } = await startService();
    const answer = await graphql(
      service.url,
      `query Both($m: String!, $p: String!, $u: ID) { models { name costPer1kTokensUsd } route(modelType: $m, prompt: $p, userId: $u) { response cached tokensUsed } inline: route(modelType: "stub-medium", prompt: "${inlinePrompt}") { cached } }`,
      { m: 'stub-large', p: gqlPrompt, u: userId },
    );
    expect(answer.status).toBe(200);
    expect(answer.json.errors, answer.text).toBeUndefined();
    const execute = (await receiver.waitForSpans({ serviceName, name: 'query Both' }))[0] as ReceivedSpan;
    await receiver.waitForSpans({ traceId: execute.traceId, name: 'graphql.resolve route' });
    // An aliased field's span is named by its alias.
    await receiver.waitForSpans({ traceId: execute.traceId, name: 'graphql.resolve inline' });
    await receiver.waitForSpans((span) => span.traceId === execute.traceId && isGrpcRoute(span), { count: 2 });
    const server = await serverSpanOf(serviceName, '/graphql', execute.traceId);
    const trace = traceOf(execute.traceId);
    const names = trace.map((span) => span.name);
    const tree = renderTraceTree(trace, { attributes: ['graphql.source'] });

    expect(names, tree).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'query Both', 'graphql.resolve models', 'graphql.resolve route', 'graphql.resolve inline']));
    expect(names.filter((name) => name.startsWith('graphql.resolve')).sort(), tree).toEqual(['graphql.resolve inline', 'graphql.resolve models', 'graphql.resolve route']);
    assertParentChild(trace, server, execute, { direct: false });
    assertParentChild(trace, { name: 'graphql.resolve route' }, isGrpcRoute, { direct: false });
    // The route resolver span is the "request span" of a GraphQL route: it carries the mcp.* attributes.
    const resolver = trace.find((span) => span.name === 'graphql.resolve route');
    expect(resolver?.attributes).toMatchObject({ 'mcp.model_type': 'stub-large', 'mcp.prompt_length': gqlPrompt.length, 'mcp.cache_hit': false });
  });

  it('no prompt text and no user id in any exported span, metric or log; SIGTERM drains and exits 0', async () => {
    const { service, serviceName } = await startService();
    const rest = await http(`${service.url}/api/route`, { json: { model_type: 'stub-medium', prompt, user_id: userId } });
    expect(rest.status).toBe(200);
    const gql = await graphql(service.url, `query { route(modelType: "stub-small", prompt: "${inlinePrompt}", userId: "${userId}") { cached } }`);
    expect(gql.json.errors).toBeUndefined();
    const byVariables = await graphql(service.url, 'query R($p: String!, $u: ID) { route(modelType: "stub-large", prompt: $p, userId: $u) { cached } }', { p: gqlPrompt, u: userId });
    expect(byVariables.json.errors).toBeUndefined();
    // Workflows are forwarded in the request's trace, too.
    const run = await http(`${service.url}/api/workflow/execute`, { json: { workflow_type: 'caps', steps: [{ type: 'data_processing', name: 'up', operation: 'uppercase' }] } });
    expect(run.status).toBe(200);
    const forward = (await receiver.waitForSpans((span) => span.serviceName === serviceName && span.kind === 'CLIENT' && span.attributes['url.full'] === `${orchestrator.url}/workflows/execute`))[0] as ReceivedSpan;
    expect(orchestrator.requests.at(-1)?.headers['traceparent']).toBe(`00-${forward.traceId}-${forward.spanId}-01`);
    const forwardTrace = traceOf(forward.traceId);
    assertParentChild(forwardTrace, { kind: 'SERVER', name: 'POST /api/workflow/execute' }, forward, { direct: false });
    const runTrace = await http(`${service.url}/api/workflow/runs/run-9`);
    expect(runTrace.status).toBe(200);
    await receiver.waitForSpans({ serviceName, kind: 'SERVER', name: 'GET /api/workflow/runs/:id' });

    // Every request's log has arrived, with its trace id, before we scan.
    const logs = await receiver.waitForLogs((log) => log.serviceName === serviceName && log.body === 'route answered', { count: 3 });
    expect(logs.every((log) => typeof log.traceId === 'string' && log.traceId.length === 32)).toBe(true);
    expect(logs.map((log) => log.attributes['prompt_length']).sort()).toEqual([prompt.length, inlinePrompt.length, gqlPrompt.length].sort());
    // One more export cycle of every signal, so nothing of the requests is still in flight.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const canary of [prompt, gqlPrompt, inlinePrompt, userId]) expect(receiver.scanFor(canary), canary).toEqual([]);
    expect(receiver.spans().length).toBeGreaterThan(10);
    expect(service.stdout()).not.toContain(prompt);
    expect(service.stdout()).not.toContain(userId);

    service.kill('SIGTERM');
    const exit = await service.waitForExit(15_000);
    expect(exit, service.describe()).toEqual({ code: 0, signal: null });
  });
});
