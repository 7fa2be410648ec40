import { LIMITS } from '@mcp/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../src/http/errors.middleware';
import { startFakeModelRouter } from './support/fake-model-router';
import type { FakeModelRouter } from './support/fake-model-router';
import { startFakeOrchestrator } from './support/fake-orchestrator';
import type { FakeOrchestrator } from './support/fake-orchestrator';
import { graphql, http, startFrontend } from './support/frontend-harness';
import type { RunningFrontend } from './support/frontend-harness';

describe('security basics', () => {
  let router: FakeModelRouter;
  let orchestrator: FakeOrchestrator;
  let frontend: RunningFrontend;
  const extra: RunningFrontend[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const app = await startFrontend({ MODEL_ROUTER_ADDRESS: router.address, WORKFLOW_ORCHESTRATOR_URL: orchestrator.url, ...env });
    extra.push(app);
    return app;
  };

  beforeAll(async () => {
    [router, orchestrator] = await Promise.all([startFakeModelRouter(), startFakeOrchestrator()]);
    frontend = await startFrontend({ MODEL_ROUTER_ADDRESS: router.address, WORKFLOW_ORCHESTRATOR_URL: orchestrator.url });
  });
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await frontend?.close();
    await Promise.all([router?.close(), orchestrator?.close()]);
  });

  it('sets helmet\'s security headers and hides the framework', async () => {
    for (const path of ['/health', '/api/route', '/nope']) {
      const answer = await http(`${frontend.url}${path}`);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(answer.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(answer.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(answer.headers.get('x-powered-by')).toBeNull();
    }
    const gql = await graphql(frontend.url, '{ models { name } }');
    expect(gql.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends no CORS headers by default (CORS_ORIGINS unset)', async () => {
    const preflight = await http(`${frontend.url}/api/route`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await http(`${frontend.url}/health`, { headers: { origin: 'https://app.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows exactly the origins in CORS_ORIGINS, with the headers the API uses', async () => {
    const app = await start({ CORS_ORIGINS: 'https://app.example, https://admin.example' });
    const preflight = await http(`${app.url}/api/workflow/execute`, {
      method: 'OPTIONS',
      headers: { origin: 'https://admin.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key,traceparent' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://admin.example');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,idempotency-key,traceparent,tracestate,baggage');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
    const other = await http(`${app.url}/api/route`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('413 for a body over LIMITS.jsonBodyBytes, 400 for malformed JSON, JSON 404 for an unknown route', async () => {
    const big = await http(`${frontend.url}/api/route`, { json: { model_type: 'stub-small', prompt: 'x'.repeat(LIMITS.jsonBodyBytes) } });
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ error: `request body too large: at most ${LIMITS.jsonBodyBytes} bytes` });
    const malformed = await http(`${frontend.url}/api/workflow/execute`, { body: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual({ error: 'malformed JSON body' });
    // A media type the JSON reader does not take is refused before its body is read, on every route.
    for (const path of ['/graphql', '/api/route']) {
      const unread = await http(`${frontend.url}${path}`, { body: JSON.stringify({ query: '{ models { name } }' }), headers: { 'content-type': 'application/j son' } });
      expect(unread.status, path).toBe(415);
      expect(unread.json, path).toEqual({ error: 'Content-Type must be application/json (UTF-8)' });
    }
    const bare = await http(`${frontend.url}/graphql`, { body: 'null', headers: { 'content-type': 'application/json' } });
    expect(bare.status).toBe(400);
    expect(bare.json).toEqual({ error: 'JSON body must be an object or an array' });
    const deep = await http(`${frontend.url}/graphql`, { body: `{"query":"{ models { name } }","variables":{"v":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`, headers: { 'content-type': 'application/json' } });
    expect(deep.status).toBe(400);
    expect(deep.json).toEqual({ error: `JSON body nests deeper than ${LIMITS.jsonNestingDepth} levels` });
    const missing = await http(`${frontend.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'no route for GET /api/nothing-here' });
    expect(router.routeCalls).toHaveLength(0);
  });

  it('limits /api and /graphql to RATE_LIMIT_PER_MINUTE per client: 429 with Retry-After and RateLimit headers; probes are not limited', async () => {
    const app = await start({ RATE_LIMIT_PER_MINUTE: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await http(`${app.url}/api/workflow/runs/run-${i}`)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await http(`${app.url}/api/route`, { json: { model_type: 'stub-small', prompt: 'hi' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-policy')).toContain('q=3');
    expect(limited.headers.get('ratelimit')).toMatch(/r=0/);
    expect(limited.json.error).toBe('too many requests: at most 3 per minute');
    // GraphQL shares the same budget.
    expect((await graphql(app.url, '{ models { name } }')).status).toBe(429);
    expect((await http(`${app.url}/health`)).status).toBe(200);
    expect((await http(`${app.url}/ready`)).status).toBe(200);
    expect(router.routeCalls).toHaveLength(0);
  });

  it('maps unexpected errors to a generic 500 body, never the message or stack', () => {
    const described = describeError(new Error('connection string postgres://secret@db leaked'));
    expect(described.status).toBe(500);
    expect(described.body.error).toBe('internal error');
    expect(JSON.stringify(described.body)).not.toContain('secret');
  });
});
