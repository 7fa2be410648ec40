/**
 * Issue 18, items 1 and 2: one small anonymous request must not block or kill a service. GraphQL
 * documents whose naive cost is exponential (nested fragment spreads) are refused in time linear in
 * the document while the frontend keeps answering `/health`; GraphQL is POST only. Every body is
 * bounded before it is read, at all three HTTP services and the browsers' OTLP proxy: a media type the JSON reader does not take
 * is 415 and a body over the limit 413, each answered before the body is read and followed by at most
 * 256 KiB more before the connection closes; JSON nested deeper than 64 levels is 400, not a 500.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { metricPoints } from '@mcp/otlp-receiver';
import { INTERNAL_SECRET_HEADER, LIMITS } from '@mcp/contracts';
import { INTERNAL_API_SECRET, startSystem, type RunningSystem } from './support/system';
import { request } from './support/faults';
import { streamBody } from './support/body-stream';

const run = randomUUID().slice(0, 8);
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(`cost-${run}`, { serviceEnv: { frontend: { RATE_LIMIT_PER_MINUTE: '1000000' } } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** `levels` fragments each spreading the one before twice: 2^levels copies of the first one's fields once spread. */
const doubling = (levels: number, spreadAt: (top: string) => string, type: string, first: string): string =>
  `${spreadAt(`...F${levels}`)} fragment F0 on ${type} { ${first} } ${range(levels)
    .map((i) => `fragment F${i + 1} on ${type} { ...F${i} ...F${i} }`)
    .join(' ')}`;

/** The worst documents found: exponential when walked spread by spread, or the most work graphql's own rules do within the limits. */
const ATTACKS: Array<[name: string, query: string, message: RegExp]> = [
  ['30 levels of root-field fragments', doubling(30, (top) => `{ ${top} }`, 'Query', 'models { name }'), /^fragment F7 selects more than 200 fields/],
  ['45 levels of Model fragments', doubling(45, (top) => `{ models { ${top} } }`, 'Model', 'name description'), /^fragment F7 selects more than 200 fields/],
  ['60 levels (past the fragment limit)', doubling(60, (top) => `{ ${top} }`, 'Query', 'models { name }'), /^document has more than 50 fragment definitions/],
  ['a cycle of 49 fragments each spreading the next two', `{ ...C0 } ${range(49).map((i) => `fragment C${i} on Query { ...C${(i + 1) % 49} ...C${(i + 2) % 49} }`).join(' ')}`, /^Cannot spread fragment "C0" within itself/],
  ['99 same-named object fields in a fragment (OverlappingFieldsCanBeMerged, quadratic)', `{ models { name } } fragment X on Query { ${'models { name } '.repeat(99)} }`, /^Fragment "X" is never used/],
];

it('GraphQL documents of exponential naive cost are refused with 400 naming the limit while /health keeps answering', { timeout: 120_000 }, async () => {
  const url = `${system.frontend.url}/graphql`;
  const answers: Array<{ name: string; status: number | string; message: string; ms: number }> = [];
  let attacking = true;
  const attacker = async (offset: number): Promise<void> => {
    for (let i = offset; attacking; i += 1) {
      const [name, query] = ATTACKS[i % ATTACKS.length] as (typeof ATTACKS)[number];
      const started = performance.now();
      // graphql-response+json: graphql's own validation errors are 400 too, not only the limits'.
      const outcome = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query }), timeoutMs: 20_000 });
      const ms = performance.now() - started;
      if (!outcome.ok) {
        answers.push({ name, status: outcome.code, message: '', ms });
        continue;
      }
      const body = JSON.parse(outcome.response.text) as { errors?: Array<{ message: string }> };
      answers.push({ name, status: outcome.response.status, message: body.errors?.[0]?.message ?? '', ms });
    }
  };
  // One of each first, so the figures are not the process's first-request warm-up.
  for (const [, query] of ATTACKS) await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }), timeoutMs: 20_000 });
  await new Promise((resolve) => setTimeout(resolve, 700));
  const attackStartedAt = BigInt(Date.now()) * 1_000_000n;
  const attackers = range(4).map((offset) => attacker(offset));

  // The attack is in flight before the first probe and still answering after the last one.
  while (answers.length < 20) await new Promise((resolve) => setTimeout(resolve, 20));
  const answeredBeforeProbes = answers.length;
  const probes: Array<{ status: number | string; ms: number }> = [];
  for (let i = 0; i < 20; i += 1) {
    const started = performance.now();
    const outcome = await request(`${system.frontend.url}/health`, { timeoutMs: 10_000 });
    probes.push({ status: outcome.ok ? outcome.response.status : outcome.code, ms: performance.now() - started });
  }
  const answeredDuringProbes = answers.length - answeredBeforeProbes;
  attacking = false;
  await Promise.all(attackers);
  const attackEndedAt = BigInt(Date.now()) * 1_000_000n;

  // Event-loop delay of the frontend during the attack, from its own runtime metrics (reset at every export).
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const loopDelay = (name: string): number =>
    Math.max(
      0,
      ...metricPoints(system.receiver.metrics(), name)
        .filter((point) => point.serviceName === 'frontend' && point.timeUnixNano >= attackStartedAt && point.timeUnixNano <= attackEndedAt + 1_000_000_000n)
        .map((point) => point.value ?? 0),
    );

  const byName = ATTACKS.map(([name]) => {
    const mine = answers.filter((answer) => answer.name === name).map((answer) => answer.ms).sort((a, b) => a - b);
    return `${name}: ${mine.length} answers, median ${mine[Math.floor(mine.length / 2)]?.toFixed(1)} ms, max ${mine.at(-1)?.toFixed(1)} ms`;
  });
  const figure =
    `${answers.length} attack requests by 4 clients, ${answeredDuringProbes} answered while 20 /health probes ran (${probes.filter((p) => p.status === 200).length}/20 answered 200, max ${Math.max(...probes.map((p) => p.ms)).toFixed(1)} ms); ` +
    `frontend event-loop delay during the attack: max ${(loopDelay('nodejs.eventloop.delay.max') * 1000).toFixed(1)} ms, p99 ${(loopDelay('nodejs.eventloop.delay.p99') * 1000).toFixed(1)} ms; ${byName.join('; ')}`;
  console.log(`[RELIABILITY] scenario 14 ${figure}`);

  expect(probes.map((probe) => probe.status), figure).toEqual(range(20).map(() => 200));
  expect(answeredDuringProbes, figure).toBeGreaterThan(0);
  for (const [name, , message] of ATTACKS) {
    const mine = answers.filter((answer) => answer.name === name);
    expect(mine.length, figure).toBeGreaterThan(0);
    for (const answer of mine) {
      expect(answer.status, `${name}: ${answer.message}`).toBe(400);
      expect(answer.message, name).toMatch(message);
    }
  }
  expect(system.frontend.exitInfo(), system.frontend.describe()).toBeUndefined();
});

it('GraphQL is POST only: a GET query (which any web page can make a visitor send) is 405 with Allow: POST, and runs nothing', async () => {
  const query = new URLSearchParams({ query: `{ route(modelType: "stub-small", prompt: "csrf ${run}", userId: "csrf-${run}") { response } }` });
  const outcome = await request(`${system.frontend.url}/graphql?${query.toString()}`);
  if (!outcome.ok) throw new Error(outcome.code);
  expect(outcome.response.status).toBe(405);
  expect(outcome.response.headers['allow']).toBe('POST');
  expect(JSON.parse(outcome.response.text)).toEqual({ errors: [{ message: 'GET is not allowed on /graphql: POST the query as JSON (content-type: application/json)', extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
  // Nothing reached the model-router: no gRPC server span in the router for this request.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(system.receiver.spans().filter((span) => span.serviceName === 'model-router' && span.kind === 'SERVER' && /Route$/.test(span.name))).toEqual([]);
});

/** The JSON endpoints of the three HTTP services, with what each needs to get past authentication. */
const jsonEndpoints = (): Array<[name: string, base: string, path: string, headers: Record<string, string>]> => [
  ['frontend /api/workflow/execute', system.frontend.url, '/api/workflow/execute', {}],
  ['frontend /graphql', system.frontend.url, '/graphql', {}],
  ['workflow-orchestrator /workflows/execute', system.orchestrator.url, '/workflows/execute', {}],
  ['collaboration-hub /internal/sessions/:id/events', system.hub.url, `/internal/sessions/s-${run}/events`, { [INTERNAL_SECRET_HEADER]: INTERNAL_API_SECRET }],
];
/** Every endpoint that reads a body: the JSON ones and the browsers' OTLP proxy (OTLP/JSON or protobuf, 512 KiB). */
const bodyEndpoints = (): ReturnType<typeof jsonEndpoints> => [...jsonEndpoints(), ['frontend /otlp/v1/traces', system.frontend.url, '/otlp/v1/traces', {}]];
// Large enough that the server looks at least once while the client is still sending, even on an idle loopback.
const STREAMED_BYTES = 64 * 1024 * 1024;
const bodyFigures: string[] = [];

it.each([
  ['a media type the JSON reader does not take (application/j son), chunked', { 'content-type': 'application/j son' }, false, 415],
  ['JSON over the size limit, chunked', { 'content-type': 'application/json' }, false, 413],
  ['JSON declaring a Content-Length over the limit', { 'content-type': 'application/json' }, true, 413],
] as const)('%s: each service answers before reading the body, then closes the connection', { timeout: 120_000 }, async (name, headers, declareLength, status) => {
  for (const [endpoint, base, path, extra] of bodyEndpoints()) {
    const outcome = await streamBody(base, path, { headers: { ...headers, ...extra }, totalBytes: STREAMED_BYTES, declareLength, timeoutMs: 20_000 });
    const figure = `${endpoint}, ${name}: ${outcome.status ?? 'no answer'} after ${outcome.bytesWrittenAtAnswer ?? '-'} bytes sent, connection closed after ${outcome.bytesWritten} of ${STREAMED_BYTES}`;
    bodyFigures.push(figure);
    expect(outcome.status, `${figure} ${outcome.body}`).toBe(status);
    expect(outcome.body, figure).toMatch(status === 415 ? /Content-Type|content-type|media type/ : /too large/);
    expect(outcome.closedByServer, figure).toBe(true);
  }
});

it('an unauthenticated body to the hub is refused 401 before it is read, then the connection closes', { timeout: 60_000 }, async () => {
  const outcome = await streamBody(system.hub.url, `/internal/sessions/s-${run}/events`, { headers: { 'content-type': 'application/json' }, totalBytes: STREAMED_BYTES, timeoutMs: 20_000 });
  const figure = `collaboration-hub without the secret: ${outcome.status ?? 'no answer'} after ${outcome.bytesWrittenAtAnswer ?? '-'} bytes sent, connection closed after ${outcome.bytesWritten} of ${STREAMED_BYTES}`;
  bodyFigures.push(figure);
  expect(outcome.status, figure).toBe(401);
  expect(outcome.closedByServer, figure).toBe(true);
});

it('JSON nested deeper than 64 levels is a 400 naming the limit at each service; 64 levels are accepted', { timeout: 60_000 }, async () => {
  const nested = (levels: number, kind: 'array' | 'object'): string => (kind === 'array' ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
  // A workflow whose input nests `levels` deep in all (the body object and input_data are two of them).
  const workflow = (levels: number, kind: 'array' | 'object'): string =>
    `{"workflow_type":"deep","steps":[{"type":"data_processing","name":"trim","operation":"trim"}],"input_data":{"x":${nested(levels - 2, kind)}}}`;
  const bodies: Record<string, (levels: number, kind: 'array' | 'object') => string> = {
    'frontend /api/workflow/execute': workflow,
    'frontend /graphql': (levels, kind) => `{"query":"mutation W($i: WorkflowInput!) { executeWorkflow(input: $i) { runId } }","variables":{"i":{"workflowType":"deep","steps":[{"type":"data_processing","name":"trim","operation":"trim"}],"inputData":{"x":${nested(levels - 4, kind)}}}}}`,
    'workflow-orchestrator /workflows/execute': workflow,
    'collaboration-hub /internal/sessions/:id/events': (levels, kind) => `{"type":"run.started","run_id":${nested(levels - 1, kind)}}`,
  };
  const post = async (base: string, path: string, headers: Record<string, string>, body: string) => {
    const outcome = await request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, timeoutMs: 15_000 });
    if (!outcome.ok) throw new Error(`${path}: ${outcome.code}`);
    return outcome.response;
  };
  for (const [endpoint, base, path, headers] of jsonEndpoints()) {
    const body = bodies[endpoint] as (levels: number, kind: 'array' | 'object') => string;
    for (const kind of ['array', 'object'] as const) {
      for (const levels of [65, 1_000, 40_000]) {
        const answer = await post(base, path, headers, body(levels, kind));
        expect(answer.status, `${endpoint} ${kind} ${levels}: ${answer.text.slice(0, 200)}`).toBe(400);
        expect(answer.text, `${endpoint} ${kind} ${levels}`).toContain(`JSON body nests deeper than ${LIMITS.jsonNestingDepth} levels`);
      }
      const accepted = await post(base, path, headers, body(LIMITS.jsonNestingDepth, kind));
      expect(accepted.text, `${endpoint} ${kind} 64`).not.toContain('nests deeper');
      expect(accepted.status, `${endpoint} ${kind} 64: ${accepted.text.slice(0, 200)}`).toBeLessThan(500);
    }
  }
  bodyFigures.push(`nesting: 65, 1 000 and 40 000 levels (arrays and objects) → 400 at all three services; 64 accepted`);
});

it('every service is alive and answered no 5xx', async () => {
  for (const service of [system.frontend, system.orchestrator, system.hub]) {
    expect(service.exitInfo(), service.describe()).toBeUndefined();
    const health = await request(`${service.url}/health`);
    expect(health.ok && health.response.status, service.name).toBe(200);
  }
  const serverErrors = system.receiver.spans().filter((s) => s.kind === 'SERVER' && Number(s.attributes['http.response.status_code'] ?? 0) >= 500);
  console.log(`[RELIABILITY] scenario 20 ${bodyFigures.join('; ')}; 5xx server spans ${serverErrors.length}`);
  expect(serverErrors.map((s) => `${s.serviceName} ${s.name} ${String(s.attributes['http.response.status_code'])}`)).toEqual([]);
});
