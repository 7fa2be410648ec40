/**
 * Issue 6, scenario 9: property-based fuzzing (fast-check) of every boundary of the running system —
 * REST bodies and headers (frontend, orchestrator, the hub's internal endpoint), GraphQL documents
 * and variables, gRPC Route messages, Socket.IO events including oversized ones. Properties: no 5xx
 * (gRPC: no INTERNAL/UNKNOWN), no process exits, and nothing persisted for a rejected request (each
 * request carries its own trace id; no ledger row and no workflow run carries a rejected one).
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INTERNAL_SECRET_HEADER, LIMITS, SOCKET_EVENTS, loadModelRouterProto, type ModelRouterClient } from '@mcp/contracts';
import { DATABASE_URL, INTERNAL_API_SECRET, startSystem, type RunningSystem } from './support/system';
import { newTrace, request } from './support/faults';

const run = randomUUID().slice(0, 8);
const table = `usage_ledger_fuzz_${run}`;
const RUNS = 150;
let system: RunningSystem;
let db: pg.Client;

beforeAll(async () => {
  system = await startSystem(`fuzz-${run}`, { serviceEnv: { frontend: { RATE_LIMIT_PER_MINUTE: '1000000', LEDGER_TABLE: table } } });
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await db?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await db?.end();
}, 60_000);

/** Every request sent, with its trace id and whether the service accepted it. */
const sent: Array<{ boundary: string; traceId: string; status: string; accepted: boolean }> = [];
const serverErrors: string[] = [];

const printable = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:;/=+*!?{}[]"\'\\,'.split('')), maxLength: 200 });
const anyText = fc.string({ unit: 'binary', maxLength: 300 });
const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }));

const routeBody = fc.oneof(
  jsonish,
  // Mostly valid, so the accepting path (cache, router, ledger) is fuzzed too.
  { arbitrary: fc.record({ model_type: fc.constantFrom('stub-small', 'stub-medium'), prompt: printable.filter((p) => p.trim() !== ''), user_id: fc.oneof(printable.filter((p) => p.trim() !== '' && p.length <= 128), fc.constant(undefined)) }, { requiredKeys: ['model_type', 'prompt'] }), weight: 2 },
  fc.record(
    {
      model_type: fc.oneof(fc.constantFrom('stub-small', 'stub-medium', 'stub-large'), anyText, fc.integer(), fc.constant(null)),
      prompt: fc.oneof(anyText, fc.string({ minLength: LIMITS.promptChars - 2, maxLength: LIMITS.promptChars + 2 }), fc.array(fc.string()), fc.constant('')),
      user_id: fc.oneof(printable, anyText, fc.integer(), fc.constant(null), fc.string({ minLength: 120, maxLength: 140 })),
      extra: jsonish,
    },
    { requiredKeys: [] },
  ),
);
const step = fc.oneof(
  fc.record({ type: fc.constant('model_inference'), name: printable, model_type: fc.oneof(fc.constant('stub-small'), anyText), prompt_template: anyText }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('data_processing'), name: printable, operation: fc.oneof(fc.constantFrom('uppercase', 'trim', 'extract_keywords', 'word_count'), anyText), limit: fc.oneof(fc.integer(), anyText) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('external_api'), name: printable, url: fc.oneof(fc.webUrl(), anyText, fc.constant('http://169.254.169.254/latest')), method: fc.constantFrom('GET', 'POST', 'DELETE', 'x') }, { requiredKeys: ['type'] }),
  jsonish,
);
const workflowBody = fc.oneof(
  jsonish,
  {
    arbitrary: fc.record({
      workflow_type: fc.constantFrom('fuzz', 'fuzz_b'),
      input_data: fc.dictionary(fc.constantFrom('text', 'topic', 'x'), printable),
      steps: fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('data_processing'), name: fc.constantFrom('a', 'b', 'c'), operation: fc.constantFrom('uppercase', 'trim', 'word_count') }),
          fc.record({ type: fc.constant('model_inference'), name: fc.constantFrom('m', 'n'), model_type: fc.constantFrom('stub-small', 'no-such-model'), prompt_template: printable.map((p) => `${p} {text}`) }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    }),
    weight: 2,
  },
  fc.record(
    { workflow_type: fc.oneof(printable, anyText), session_id: fc.oneof(printable, anyText), user_id: printable, input_data: jsonish, steps: fc.oneof(fc.array(step, { maxLength: 25 }), jsonish) },
    { requiredKeys: [] },
  ),
);
const headers = fc.record(
  {
    'content-type': fc.oneof(
      { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 4 },
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/graphql-response+json', ''),
      printable,
    ),
    traceparent: printable,
    tracestate: printable,
    baggage: printable,
    authorization: printable,
    'idempotency-key': printable,
    'x-forwarded-for': printable,
    accept: printable,
  },
  { requiredKeys: [] },
);
const rawBody = fc.oneof(
  jsonish.map((v) => JSON.stringify(v) ?? ''),
  anyText,
  fc.constant('{"model_type": '),
  fc.integer({ min: 300_000, max: 400_000 }).map((n) => JSON.stringify({ prompt: 'x'.repeat(n) })),
);

async function send(boundary: string, url: string, method: string, body: string | undefined, extra: Record<string, string>, isAccepted: (status: number, text: string) => boolean): Promise<void> {
  const { traceId, traceparent } = newTrace();
  // Our traceparent wins over a fuzzed one only for the bookkeeping: the fuzzed one goes in tracestate/baggage.
  const outcome = await request(url, { method, body, headers: { ...extra, traceparent }, timeoutMs: 30_000 });
  if (!outcome.ok) {
    // A header the HTTP client itself refuses to send never reached the service.
    if (outcome.code === 'ERR_INVALID_CHAR' || outcome.code === 'ERR_INVALID_HTTP_TOKEN') return;
    serverErrors.push(`${boundary}: no answer (${outcome.code})`);
    sent.push({ boundary, traceId, status: outcome.code, accepted: false });
    return;
  }
  const { status, text } = outcome.response;
  if (status >= 500) serverErrors.push(`${boundary}: ${status} ${text.slice(0, 200)} body=${(body ?? '').slice(0, 200)}`);
  sent.push({ boundary, traceId, status: String(status), accepted: isAccepted(status, text) });
}

const httpOk = (status: number): boolean => status >= 200 && status < 300;
const graphqlRouteAnswered = (status: number, text: string): boolean => {
  if (!httpOk(status)) return false;
  try {
    const body = JSON.parse(text) as { data?: Record<string, unknown> | null };
    return Boolean(body.data && (body.data['route'] || body.data['executeWorkflow']));
  } catch {
    return false;
  }
};

it('REST: frontend, orchestrator and hub internal endpoint answer fuzzed bodies and headers with no 5xx', { timeout: 240_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(routeBody, workflowBody, headers, rawBody, async (route, workflow, hdrs, raw) => {
      const json = { ...hdrs, 'content-type': hdrs['content-type'] ?? 'application/json' };
      await send('frontend /api/route', `${system.frontend.url}/api/route`, 'POST', JSON.stringify(route) ?? '', json, httpOk);
      await send('frontend /api/route raw', `${system.frontend.url}/api/route`, 'POST', raw, json, httpOk);
      await send('frontend /api/workflow/execute', `${system.frontend.url}/api/workflow/execute`, 'POST', JSON.stringify(workflow) ?? '', json, httpOk);
      await send('orchestrator /workflows/execute', `${system.orchestrator.url}/workflows/execute`, 'POST', JSON.stringify(workflow) ?? '', json, httpOk);
      await send('orchestrator /workflows/runs/:id', `${system.orchestrator.url}/workflows/runs/${encodeURIComponent(String(hdrs.traceparent ?? 'x'))}`, 'GET', undefined, {}, httpOk);
      await send('hub internal', `${system.hub.url}/internal/sessions/${encodeURIComponent(String(hdrs.baggage ?? 's') || 's')}/events`, 'POST', JSON.stringify(workflow) ?? '', { ...json, [INTERNAL_SECRET_HEADER]: INTERNAL_API_SECRET }, httpOk);
    }),
    { numRuns: RUNS, seed: 4242, endOnFailure: true },
  );
  expect(serverErrors.slice(0, 5)).toEqual([]);
});

it('GraphQL: fuzzed documents and variables get no 5xx', { timeout: 240_000 }, async () => {
  const documents = fc.oneof(
    anyText,
    printable,
    fc.constantFrom(
      '{ models { name } }',
      'query R($p: String!) { route(modelType: "stub-small", prompt: $p) { response cached } }',
      'query U($u: ID!) { usage(userId: $u) { requests } }',
      'mutation W($i: WorkflowInput!) { executeWorkflow(input: $i) { run_id status } }',
      '{ workflowRun(id: "x") { status } }',
      `{ ${'models { name } '.repeat(300)} }`,
      `{ ${'a { '.repeat(50)}b${' }'.repeat(50)} }`,
      'query { __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }',
    ),
  );
  const variables = fc.oneof(fc.constant(undefined), fc.record({ p: fc.oneof(anyText, fc.integer()), u: fc.oneof(printable, fc.integer()), i: workflowBody }, { requiredKeys: [] }), jsonish);
  await fc.assert(
    fc.asyncProperty(documents, variables, fc.constantFrom('POST', 'GET'), async (query, vars, method) => {
      if (method === 'GET') {
        const qs = new URLSearchParams({ query, ...(vars !== undefined ? { variables: JSON.stringify(vars) ?? '' } : {}) });
        await send('graphql GET', `${system.frontend.url}/graphql?${qs.toString()}`, 'GET', undefined, { accept: 'application/json' }, graphqlRouteAnswered);
      } else {
        await send('graphql POST', `${system.frontend.url}/graphql`, 'POST', JSON.stringify({ query, variables: vars }) ?? '', { 'content-type': 'application/json' }, graphqlRouteAnswered);
      }
    }),
    { numRuns: RUNS * 2, seed: 4243, endOnFailure: true },
  );
  expect(serverErrors.slice(0, 5)).toEqual([]);
});

it('gRPC: fuzzed Route messages get a status, never INTERNAL or UNKNOWN', { timeout: 240_000 }, async () => {
  const { ModelRouter } = loadModelRouterProto();
  const client = new ModelRouter(`127.0.0.1:${system.modelRouter.port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 8 * 1024 * 1024 }) as unknown as ModelRouterClient;
  const codes = new Map<string, number>();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            model_type: fc.oneof(fc.constantFrom('stub-small', 'stub-medium'), anyText),
            prompt: fc.oneof(anyText, fc.integer({ min: LIMITS.promptChars - 1, max: LIMITS.promptChars * 3 }).map((n) => 'p'.repeat(n))),
            user_id: fc.oneof(printable, anyText),
          },
          { requiredKeys: [] },
        ),
        async (message) => {
          const code = await new Promise<number>((resolve) => {
            (client as unknown as { Route(r: unknown, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void }).Route(message, { deadline: new Date(Date.now() + 15_000) }, (error) => resolve(error ? error.code : grpc.status.OK));
          });
          const name = grpc.status[code] ?? String(code);
          codes.set(name, (codes.get(name) ?? 0) + 1);
          if (code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN || code === grpc.status.UNAVAILABLE) serverErrors.push(`grpc Route: ${name} for ${JSON.stringify(message).slice(0, 200)}`);
        },
      ),
      { numRuns: RUNS, seed: 4244, endOnFailure: true },
    );
  } finally {
    client.close();
  }
  console.log(`[RELIABILITY] scenario 9 gRPC Route codes ${JSON.stringify(Object.fromEntries(codes))}`);
  expect(serverErrors.slice(0, 5)).toEqual([]);
});

it('Socket.IO: fuzzed events (incl. oversized) get an ack or a disconnect, never a crash', { timeout: 240_000 }, async () => {
  const results = new Map<string, number>();
  const connect = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = io(system.hub.url, { transports: ['websocket'], reconnection: false, timeout: 5_000 });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  let socket = await connect();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(SOCKET_EVENTS.sessionJoin, SOCKET_EVENTS.sessionLeave, SOCKET_EVENTS.sessionMessage, 'workflow:progress', 'unknown:event'), printable),
        fc.oneof(
          jsonish,
          fc.record({ session_id: fc.oneof(printable, anyText, fc.integer()), user_id: fc.oneof(printable, anyText), text: fc.oneof(anyText, fc.string({ minLength: 4_000, maxLength: 5_000 })) }, { requiredKeys: [] }),
          fc.integer({ min: LIMITS.socketPacketBytes, max: LIMITS.socketPacketBytes * 2 }).map((n) => ({ session_id: 's', text: 'x'.repeat(n) })),
        ),
        async (event, payload) => {
          if (!socket.connected) socket = await connect();
          let outcome: string;
          try {
            const ack = (await socket.timeout(300).emitWithAck(event, payload)) as { ok?: boolean } | undefined;
            outcome = ack && typeof ack === 'object' && 'ok' in ack ? `ack ok=${String(ack.ok)}` : 'ack other';
          } catch {
            outcome = socket.connected ? 'no ack' : 'disconnected';
          }
          results.set(outcome, (results.get(outcome) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS, seed: 4245, endOnFailure: true },
    );
  } finally {
    socket.close();
  }
  const health = await request(`${system.hub.url}/health`);
  console.log(`[RELIABILITY] scenario 9 Socket.IO outcomes ${JSON.stringify(Object.fromEntries(results))}`);
  expect(health.ok && health.response.status).toBe(200);
});

it('no process crashed, no 5xx, and nothing persisted for a rejected request', { timeout: 60_000 }, async () => {
  for (const p of [system.frontend, system.orchestrator, system.hub, system.modelRouter]) expect(p.exitInfo(), p.describe()).toBeUndefined();
  const rejected = new Set(sent.filter((s) => !s.accepted).map((s) => s.traceId));
  const rows = await db.query<{ trace_id: string | null }>(`SELECT trace_id FROM ${table}`).catch(() => ({ rows: [] as Array<{ trace_id: string | null }> }));
  const rowsOfRejected = rows.rows.filter((r) => r.trace_id !== null && rejected.has(r.trace_id)).length;
  // Flush what is buffered, then look for a workflow run started by a rejected request.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const runsOfRejected = system.receiver.spans().filter((s) => s.name === 'workflow_execution' && rejected.has(s.traceId)).length;
  const byBoundary = new Map<string, { n: number; statuses: Map<string, number> }>();
  for (const s of sent) {
    const entry = byBoundary.get(s.boundary) ?? { n: 0, statuses: new Map() };
    entry.n += 1;
    entry.statuses.set(s.status, (entry.statuses.get(s.status) ?? 0) + 1);
    byBoundary.set(s.boundary, entry);
  }
  const figure =
    `${sent.length} HTTP requests, 5xx/no answer ${serverErrors.length}; ` +
    [...byBoundary].map(([b, e]) => `${b}: ${JSON.stringify(Object.fromEntries(e.statuses))}`).join('; ') +
    `; ledger rows ${rows.rows.length}, of rejected requests ${rowsOfRejected}; workflow runs of rejected requests ${runsOfRejected}; processes alive 4/4`;
  console.log(`[RELIABILITY] scenario 9 ${figure}`);
  expect(serverErrors.slice(0, 5), figure).toEqual([]);
  expect(rowsOfRejected, figure).toBe(0);
  expect(runsOfRejected, figure).toBe(0);
});
