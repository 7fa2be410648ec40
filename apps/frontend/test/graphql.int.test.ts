import { status as GrpcStatus } from '@grpc/grpc-js';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STUB_MODELS, startFakeModelRouter } from './support/fake-model-router';
import type { FakeModelRouter } from './support/fake-model-router';
import { sampleRun, startFakeOrchestrator } from './support/fake-orchestrator';
import type { FakeOrchestrator } from './support/fake-orchestrator';
import { DATABASE_URL, REDIS_URL, connectStores, graphql, http, startFrontend, uniqueSuffix } from './support/frontend-harness';
import type { RunningFrontend, Stores } from './support/frontend-harness';

const ROUTE = 'query Route($m: String!, $p: String!, $u: ID) { route(modelType: $m, prompt: $p, userId: $u) { modelType response tokensUsed processingTimeMs cached timestamp traceId } }';
const USAGE = 'query Usage($u: ID!) { usage(userId: $u) { userId requests tokens costUsd cachedRequests } }';

/** No stack trace, file path or internal error text in a GraphQL answer. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat .+\(.+:\d+:\d+\)|\.ts:\d+|"stack"/);
}

describe('POST /graphql', () => {
  const suffix = uniqueSuffix();
  const table = `usage_ledger_gql_${suffix}`;
  const prefix = `mcp-test-gql-${suffix}:`;
  let router: FakeModelRouter;
  let orchestrator: FakeOrchestrator;
  let stores: Stores;
  let frontend: RunningFrontend;

  beforeAll(async () => {
    [router, orchestrator, stores] = await Promise.all([startFakeModelRouter(), startFakeOrchestrator(), connectStores()]);
    frontend = await startFrontend({
      REDIS_URL,
      DATABASE_URL,
      LEDGER_TABLE: table,
      CACHE_KEY_PREFIX: prefix,
      MODEL_ROUTER_ADDRESS: router.address,
      WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
      MODEL_ROUTER_DEADLINE_MS: '300',
    });
    // The first call opens the gRPC connection, which on a busy machine alone can take the 300 ms
    // deadline the tests below are given; its outcome does not matter.
    await graphql(frontend.url, '{ models { name } }');
    router.reset();
  });
  afterEach(() => {
    router.reset();
    orchestrator.reset();
  });
  afterAll(async () => {
    await frontend?.close();
    await stores?.deleteKeys(prefix);
    await stores?.dropTable(table);
    await Promise.all([router?.close(), orchestrator?.close(), stores?.close()]);
  });

  it('models lists the model-router\'s models', async () => {
    const answer = await graphql(frontend.url, '{ models { name description costPer1kTokensUsd typicalLatencyMs maxPromptChars } }');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      data: {
        models: STUB_MODELS.map((m) => ({
          name: m.name,
          description: m.description,
          costPer1kTokensUsd: m.cost_per_1k_tokens_usd,
          typicalLatencyMs: m.typical_latency_ms,
          maxPromptChars: m.max_prompt_chars,
        })),
      },
    });
  });

  it('route shares the REST service: a REST miss is a GraphQL hit, both ledgered, and usage totals add up', async () => {
    const user = `gql-user-${suffix}`;
    const prompt = `graphql prompt ${suffix}`;
    const rest = await http(`${frontend.url}/api/route`, { json: { model_type: 'stub-medium', prompt, user_id: user } });
    expect(rest.json.cached).toBe(false);

    const answer = await graphql(frontend.url, ROUTE, { m: 'stub-medium', p: prompt, u: user });
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    expect(answer.json.data.route).toEqual({
      modelType: 'stub-medium',
      response: rest.json.response,
      tokensUsed: rest.json.tokens_used,
      processingTimeMs: rest.json.processing_time_ms,
      cached: true,
      timestamp: rest.json.timestamp,
      traceId: null,
    });
    expect(router.routeCalls).toHaveLength(1);

    // A third request through GraphQL with another prompt: a miss, with its own cost.
    const other = await graphql(frontend.url, ROUTE, { m: 'stub-small', p: `${prompt} again`, u: user });
    expect(other.json.data.route.cached).toBe(false);

    const rows = (await stores.rows(table)).filter((row) => row['user_id'] === user);
    expect(rows.map((row) => row['cached'])).toEqual([false, true, false]);
    const usage = await graphql(frontend.url, USAGE, { u: user });
    expect(usage.json.data.usage).toEqual({
      userId: user,
      requests: 3,
      tokens: rows.reduce((sum, row) => sum + Number(row['tokens_used']), 0),
      costUsd: expect.closeTo(rows.reduce((sum, row) => sum + Number(row['cost_usd']), 0), 8),
      cachedRequests: 1,
    });
    expect(usage.json.data.usage.costUsd).toBeGreaterThan(0);
  });

  it('usage of an unknown user is all zeros', async () => {
    const answer = await graphql(frontend.url, USAGE, { u: `nobody-${suffix}` });
    expect(answer.json.data.usage).toEqual({ userId: `nobody-${suffix}`, requests: 0, tokens: 0, costUsd: 0, cachedRequests: 0 });
  });

  it.each([
    ['an unknown model', { m: 'nope', p: 'hi' }, undefined, 'NOT_FOUND', 'unknown model_type "nope"'],
    ['an empty prompt', { m: 'stub-small', p: '' }, undefined, 'BAD_USER_INPUT', 'invalid request'],
    ['the model-router unavailable', { m: 'stub-small', p: `down ${suffix}` }, { failWith: GrpcStatus.UNAVAILABLE }, 'UNAVAILABLE', 'model-router is unavailable; try again later'],
    ['the model-router too slow', { m: 'stub-small', p: `slow ${suffix}` }, { latencyMs: 3_000 }, 'DEADLINE_EXCEEDED', 'model-router did not answer within 300 ms'],
  ])('route with %s is a GraphQL error with its code', async (_name, variables, behaviour, code, message) => {
    Object.assign(router.behaviour, behaviour ?? {});
    const answer = await graphql(frontend.url, ROUTE, variables);
    expect(answer.status).toBe(200);
    expect(answer.json.data).toBeNull();
    expect(answer.json.errors).toHaveLength(1);
    expect(answer.json.errors[0]).toMatchObject({ path: ['route'], extensions: { code } });
    expect(answer.json.errors[0].message).toContain(message);
    expectNoInternals(answer.text);
  });

  it('route validation details name the bad field', async () => {
    const answer = await graphql(frontend.url, ROUTE, { m: 'stub-small', p: '' });
    expect(answer.json.errors[0].extensions.details).toEqual(['prompt: must not be empty']);
    expect(router.routeCalls).toHaveLength(0);
  });

  it('workflowRun returns the run in camelCase, and null for an unknown id', async () => {
    const query = 'query Run($id: ID!) { workflowRun(id: $id) { runId workflowType status completedSteps steps { name type index status durationMs output } inputData output createdAt } }';
    const found = await graphql(frontend.url, query, { id: 'run-7' });
    const run = sampleRun('run-7');
    expect(found.json).toEqual({
      data: {
        workflowRun: {
          runId: 'run-7',
          workflowType: run.workflow_type,
          status: 'completed',
          completedSteps: 1,
          steps: [{ name: 'upper', type: 'data_processing', index: 0, status: 'completed', durationMs: 1, output: { text: 'HELLO' } }],
          inputData: run.input_data,
          output: run.output,
          createdAt: run.created_at,
        },
      },
    });
    const missing = await graphql(frontend.url, query, { id: 'missing' });
    expect(missing.json).toEqual({ data: { workflowRun: null } });
  });

  it('executeWorkflow forwards the input as the REST body (with its idempotency key) and returns the run', async () => {
    const mutation = 'mutation Run($input: WorkflowInput!) { executeWorkflow(input: $input) { runId status } }';
    const steps = [{ type: 'data_processing', name: 'upper', operation: 'uppercase', input_key: 'text' }];
    const answer = await graphql(frontend.url, mutation, { input: { workflowType: 'caps', steps, inputData: { text: 'hi' }, sessionId: 's-1', idempotencyKey: 'idem-1' } });
    expect(answer.json).toEqual({ data: { executeWorkflow: { runId: 'run-1', status: 'completed' } } });
    expect(orchestrator.requests).toHaveLength(1);
    expect(JSON.parse(orchestrator.requests[0]?.body ?? '')).toEqual({ workflow_type: 'caps', steps, input_data: { text: 'hi' }, session_id: 's-1' });
    expect(orchestrator.requests[0]?.headers['idempotency-key']).toBe('idem-1');
  });

  it('executeWorkflow with inline literals (JSON scalar) works too', async () => {
    const answer = await graphql(
      frontend.url,
      'mutation { executeWorkflow(input: { workflowType: "caps", steps: [{ type: "data_processing", name: "trim", operation: "trim" }] }) { runId } }',
    );
    expect(answer.json).toEqual({ data: { executeWorkflow: { runId: 'run-1' } } });
  });

  it('executeWorkflow validates with WorkflowExecuteBody: BAD_USER_INPUT naming the field, nothing forwarded', async () => {
    const answer = await graphql(frontend.url, 'mutation Run($input: WorkflowInput!) { executeWorkflow(input: $input) { runId } }', {
      input: { workflowType: 'x', steps: [{ type: 'model_inference', name: 'bad name!', model_type: 'stub-small', prompt_template: 'p' }] },
    });
    expect(answer.json.data).toBeNull();
    expect(answer.json.errors[0]).toMatchObject({ message: 'invalid request', extensions: { code: 'BAD_USER_INPUT' } });
    expect(answer.json.errors[0].extensions.details.some((line: string) => line.startsWith('steps.0.name'))).toBe(true);
    expect(orchestrator.requests).toHaveLength(0);
  });

  it("executeWorkflow maps the orchestrator's 4xx and 5xx to codes", async () => {
    const mutation = 'mutation { executeWorkflow(input: { workflowType: "caps", steps: [{ type: "data_processing", name: "trim", operation: "trim" }] }) { runId } }';
    orchestrator.answers.push({ status: 400, body: JSON.stringify({ error: 'invalid request', details: ['steps.0.url: host not allowed'] }) });
    const rejected = await graphql(frontend.url, mutation);
    expect(rejected.json.errors[0]).toMatchObject({ message: 'invalid request', extensions: { code: 'BAD_USER_INPUT', details: ['steps.0.url: host not allowed'] } });
    orchestrator.answers.push({ status: 503, body: JSON.stringify({ error: 'mongodb unavailable' }) });
    const unavailable = await graphql(frontend.url, mutation);
    expect(unavailable.json.errors[0]).toMatchObject({ extensions: { code: 'UNAVAILABLE' } });
    orchestrator.answers.push({ status: 500, body: 'oops' });
    const broken = await graphql(frontend.url, mutation);
    expect(broken.json.errors[0]).toMatchObject({ extensions: { code: 'BAD_GATEWAY' } });
    expectNoInternals(broken.text);
  });

  it.each([
    ['a syntax error', '{ models { name }', 'GRAPHQL_PARSE_FAILED', 'Syntax Error'],
    ['an unknown field', '{ models { price } }', 'GRAPHQL_VALIDATION_FAILED', 'Cannot query field "price"'],
    ['a missing argument', '{ route(modelType: "stub-small") { response } }', 'GRAPHQL_VALIDATION_FAILED', 'argument "prompt"'],
    ['a subscription', 'subscription { models { name } }', 'GRAPHQL_VALIDATION_FAILED', 'subscriptions are not supported'],
  ])('rejects %s before execution', async (_name, query, code, message) => {
    const answer = await graphql(frontend.url, query);
    expect(answer.status).toBe(200);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors.length).toBeGreaterThan(0);
    const mine = answer.json.errors.find((error: { message: string }) => error.message.includes(message));
    expect(mine, JSON.stringify(answer.json.errors)).toBeDefined();
    expect(mine.extensions.code).toBe(code);
    expect(router.listModelsCalls).toBe(0);
  });

  /** `fragment F0 on Query { models { name } }` and `levels` fragments each spreading the one before twice: 2^levels fields once spread. */
  const doubling = (levels: number) =>
    `{ ...F${levels} } fragment F0 on Query { models { name } } ${Array.from({ length: levels }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`).join(' ')}`;

  it.each([
    ['nesting deeper than 6', '{ models { name { a { b { c { d { e { f } } } } } } } }', 'operation (anonymous) is nested more than 6 levels deep; at most 6 are allowed'],
    ['more than 200 fields once fragments are spread', `{ models { ...N ...N } } fragment N on Model { ${Array.from({ length: 100 }, (_, i) => `n${i}: name`).join(' ')} }`, 'operation (anonymous) selects more than 200 fields (fragments counted where spread); at most 200 are allowed'],
    ['more than 200 fields written', `{ models { ${Array.from({ length: 200 }, (_, i) => `n${i}: name`).join(' ')} } }`, 'document has more than 200 fields written in it; at most 200 are allowed'],
    ['more than 10 root fields', `{ ${Array.from({ length: 11 }, (_, i) => `m${i}: models { name }`).join(' ')} }`, 'operation (anonymous) has 11 root fields; at most 10 are allowed'],
    ['more than 10 root fields through fragments', `{ ...A ...A } fragment A on Query { ${Array.from({ length: 6 }, (_, i) => `m${i}: models { name }`).join(' ')} }`, 'operation (anonymous) has 12 root fields; at most 10 are allowed'],
    ['a document over 40 000 characters', `{ models { name } } # ${'x'.repeat(40_000)}`, 'document is 40022 characters long; at most 40000 are allowed (pass long values as variables)'],
    ['a document over 2 000 tokens', `{ models { ${'name '.repeat(2_000)} } }`, 'document has more than 2000 tokens; at most 2000 are allowed'],
    ['30 levels of fragments doubling the fields', doubling(30), 'fragment F7 selects more than 200 fields (fragments counted where spread); at most 200 are allowed'],
    ['more than 50 fragments', doubling(60), 'document has more than 50 fragment definitions; at most 50 are allowed'],
    ['more than 100 fragment spreads', `{ models { ${'...N '.repeat(101)} } } fragment N on Model { name }`, 'document has more than 100 fragment spreads; at most 100 are allowed'],
    ['more than 200 fields in unused fragments', `{ models { name } } ${[1, 2, 3].map((i) => `fragment U${i} on Model { ${Array.from({ length: 70 }, (_, j) => `a${j}: name`).join(' ')} }`).join(' ')}`, 'document has more than 200 fields written in it; at most 200 are allowed'],
    ['a deep fragment nobody spreads', `{ models { name } } fragment Deep on Query { models { name { a { b { c { d { e { f } } } } } } } }`, 'fragment Deep is nested more than 6 levels deep; at most 6 are allowed'],
  ])('refuses %s with a 400 naming the limit, before validation and execution', async (_name, query, message) => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const answer = await graphql(frontend.url, query, undefined, { accept });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.json).toEqual({ errors: [expect.objectContaining({ message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })] });
    }
    expect(router.listModelsCalls).toBe(0);
  });

  it('counts introspection apart: the full introspection query passes the limits', async () => {
    const answer = await graphql(frontend.url, getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    expect(answer.json.data.__schema.queryType).toMatchObject({ name: 'Query' });
  });

  it('answers GET and other methods 405 with Allow: POST, and runs nothing', async () => {
    const query = new URLSearchParams({ query: '{ route(modelType: "stub-small", prompt: "csrf") { response } }' });
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await http(`${frontend.url}/graphql?${query.toString()}`, { method });
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('POST');
      expect(answer.json.errors[0]).toEqual({ message: `${method} is not allowed on /graphql: POST the query as JSON (content-type: application/json)`, extensions: { code: 'METHOD_NOT_ALLOWED' } });
    }
    expect(router.routeCalls).toHaveLength(0);
  });

  it('bad variable values are BAD_USER_INPUT', async () => {
    const answer = await graphql(frontend.url, ROUTE, { m: 5, p: { text: 'x' } });
    expect(answer.json.errors.length).toBeGreaterThan(0);
    for (const error of answer.json.errors) expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(router.routeCalls).toHaveLength(0);
  });

  it('answers 400 to a client that accepts application/graphql-response+json, and to a request without a query', async () => {
    const strict = await graphql(frontend.url, '{ models { price } }', undefined, { accept: 'application/graphql-response+json' });
    expect(strict.status).toBe(400);
    expect(strict.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const empty = await http(`${frontend.url}/graphql`, { json: { variables: {} } });
    expect(empty.status).toBe(400);
    expect(empty.json.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('malformed JSON to /graphql is a 400 without internals', async () => {
    const answer = await http(`${frontend.url}/graphql`, { body: '{"query": ', headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(400);
    expectNoInternals(answer.text);
  });
});
