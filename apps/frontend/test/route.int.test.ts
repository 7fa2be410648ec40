import { status as GrpcStatus } from '@grpc/grpc-js';
import { LIMITS } from '@mcp/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { routeCacheKey } from '../src/cache/answer-cache';
import { startFakeModelRouter } from './support/fake-model-router';
import type { FakeModelRouter } from './support/fake-model-router';
import { startFakeOrchestrator } from './support/fake-orchestrator';
import type { FakeOrchestrator } from './support/fake-orchestrator';
import { freePort } from '@mcp/test-kit';
import { DATABASE_URL, REDIS_URL, connectStores, http, startFrontend, uniqueSuffix } from './support/frontend-harness';
import type { RunningFrontend, Stores } from './support/frontend-harness';

describe('POST /api/route against the real Redis and PostgreSQL', () => {
  const suffix = uniqueSuffix();
  const table = `usage_ledger_route_${suffix}`;
  const prefix = `mcp-test-${suffix}:`;
  let router: FakeModelRouter;
  let orchestrator: FakeOrchestrator;
  let stores: Stores;
  let frontend: RunningFrontend;
  const extra: RunningFrontend[] = [];

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
  });

  afterEach(async () => {
    router.reset();
    await Promise.all(extra.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await frontend?.close();
    await stores?.deleteKeys(prefix);
    await stores?.dropTable(table);
    await Promise.all([router?.close(), orchestrator?.close(), stores?.close()]);
  });

  const rowsFor = async (user: string) => (await stores.rows(table)).filter((row) => row['user_id'] === user);

  it('answers a miss from the model-router, caches it, and serves the same prompt from Redis with one gRPC call and two ledger rows', async () => {
    const user = `user-${suffix}-a`;
    const prompt = `What is the capital of France? ${suffix}`;
    const first = await http(`${frontend.url}/api/route`, { json: { model_type: 'stub-small', prompt, user_id: user } });
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ model_type: 'stub-small', cached: false });
    expect(typeof first.json.response).toBe('string');
    expect(first.json.tokens_used).toBeGreaterThan(0);
    expect(typeof first.json.processing_time_ms).toBe('number');
    expect(new Date(first.json.timestamp).toISOString()).toBe(first.json.timestamp);

    const second = await http(`${frontend.url}/api/route`, { json: { model_type: 'stub-small', prompt, user_id: user } });
    expect(second.status, second.text).toBe(200);
    expect(second.json).toEqual({ ...first.json, cached: true });

    expect(router.routeCalls).toHaveLength(1);
    expect(router.routeCalls[0]).toMatchObject({ model_type: 'stub-small', prompt, user_id: user });

    const key = routeCacheKey(prefix, 'stub-small', prompt);
    expect(key).toMatch(new RegExp(`^${prefix}route:v1:[0-9a-f]{64}$`));
    expect(await stores.keys(prefix)).toContain(key);
    const ttl = await stores.redis.ttl(key);
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
    // The cached value is the answer, never the prompt.
    expect(await stores.redis.get(key)).not.toContain(prompt);

    const rows = await rowsFor(user);
    expect(rows.map((row) => row['cached'])).toEqual([false, true]);
    expect(rows[0]).toMatchObject({ model_type: 'stub-small', tokens_used: first.json.tokens_used });
    expect(Number(rows[0]?.['cost_usd'])).toBeGreaterThan(0);
    expect(Number(rows[1]?.['cost_usd'])).toBe(0);
    expect(Number(rows[0]?.['prompt_tokens']) + Number(rows[0]?.['completion_tokens'])).toBe(first.json.tokens_used);
  });

  it('keys the cache by model and prompt: another model or prompt is a miss', async () => {
    const prompt = `shared prompt ${suffix}`;
    for (const model_type of ['stub-small', 'stub-medium']) {
      const answer = await http(`${frontend.url}/api/route`, { json: { model_type, prompt } });
      expect(answer.json).toMatchObject({ model_type, cached: false });
    }
    const other = await http(`${frontend.url}/api/route`, { json: { model_type: 'stub-small', prompt: `${prompt}!` } });
    expect(other.json.cached).toBe(false);
    expect(router.routeCalls).toHaveLength(3);
    // Anonymous requests are ledgered with a null user.
    expect((await stores.rows(table)).filter((row) => row['user_id'] === null).length).toBeGreaterThanOrEqual(3);
  });

  const tooLong = 'x'.repeat(LIMITS.promptChars + 1);
  it.each([
    ['no body fields', {}, ['model_type', 'prompt']],
    ['empty model_type', { model_type: '', prompt: 'hi' }, ['model_type: must not be empty']],
    ['blank model_type', { model_type: '   ', prompt: 'hi' }, ['model_type: must not be empty']],
    ['empty prompt', { model_type: 'stub-small', prompt: '' }, ['prompt: must not be empty']],
    ['prompt too long', { model_type: 'stub-small', prompt: tooLong }, [`prompt: must be at most ${LIMITS.promptChars} characters`]],
    ['prompt not a string', { model_type: 'stub-small', prompt: 42 }, ['prompt:']],
    ['model_type not a string', { model_type: ['stub-small'], prompt: 'hi' }, ['model_type:']],
    ['empty user_id', { model_type: 'stub-small', prompt: 'hi', user_id: '' }, ['user_id: must not be empty']],
    ['unknown field', { model_type: 'stub-small', prompt: 'hi', temperature: 2 }, ['temperature']],
    ['both fields bad', { model_type: 1, prompt: null }, ['model_type:', 'prompt:']],
    ['an array body', [{ model_type: 'stub-small', prompt: 'hi' }], ['expected object']],
  ])('400 for %s, naming each bad field; nothing cached, ledgered or routed', async (_name, body, expected) => {
    const [rowsBefore, keysBefore] = [(await stores.rows(table)).length, (await stores.keys(prefix)).length];
    const answer = await http(`${frontend.url}/api/route`, { json: body });
    expect(answer.status, answer.text).toBe(400);
    expect(answer.json.error).toBe('invalid request');
    const details: string[] = answer.json.details;
    for (const fragment of expected) expect(details.some((line) => line.includes(fragment)), `${fragment} in ${JSON.stringify(details)}`).toBe(true);
    expect(answer.text).not.toContain(tooLong);
    expect(router.routeCalls).toHaveLength(0);
    expect((await stores.rows(table)).length).toBe(rowsBefore);
    expect((await stores.keys(prefix)).length).toBe(keysBefore);
  });

  it('400 for malformed JSON and 415 for a body that is not JSON, before any work', async () => {
    const malformed = await http(`${frontend.url}/api/route`, { body: '{"model_type": "stub-small", ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: 'malformed JSON body' });
    const form = await http(`${frontend.url}/api/route`, { body: 'model_type=stub-small&prompt=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(router.routeCalls).toHaveLength(0);
  });

  it('404 with the router\'s message for an unknown model; nothing cached or ledgered', async () => {
    const user = `user-${suffix}-unknown`;
    const answer = await http(`${frontend.url}/api/route`, { json: { model_type: 'gpt-nonexistent', prompt: 'hello', user_id: user } });
    expect(answer.status, answer.text).toBe(404);
    expect(answer.json.error).toContain('unknown model_type "gpt-nonexistent"');
    expect(await stores.redis.exists(routeCacheKey(prefix, 'gpt-nonexistent', 'hello'))).toBe(0);
    expect(await rowsFor(user)).toEqual([]);
  });

  it('504 with a clear message when the model-router is slower than the deadline, and the router sees the call cancelled', async () => {
    router.behaviour.latencyMs = 3_000;
    const answer = await http(`${frontend.url}/api/route`, { json: { model_type: 'stub-small', prompt: `slow ${suffix}` } });
    expect(answer.status, answer.text).toBe(504);
    expect(answer.json.error).toBe('model-router did not answer within 300 ms');
    expect(answer.json).not.toHaveProperty('stack');
    await expect.poll(() => router.cancelled).toBe(1);
  });

  it('503 when the model-router reports itself unavailable', async () => {
    router.behaviour.failWith = GrpcStatus.UNAVAILABLE;
    const answer = await http(`${frontend.url}/api/route`, { json: { model_type: 'stub-small', prompt: `unavailable ${suffix}` } });
    expect(answer.status).toBe(503);
    expect(answer.json.error).toBe('model-router is unavailable; try again later');
  });

  it('503 when nothing listens at MODEL_ROUTER_ADDRESS', async () => {
    const down = await startFrontend({
      LOG_LEVEL: 'info',
      REDIS_URL,
      DATABASE_URL,
      LEDGER_TABLE: table,
      CACHE_KEY_PREFIX: prefix,
      MODEL_ROUTER_ADDRESS: `127.0.0.1:${await freePort()}`,
      WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
    });
    extra.push(down);
    const answer = await http(`${down.url}/api/route`, { json: { model_type: 'stub-small', prompt: `router down ${suffix}` } });
    expect(answer.status, answer.text).toBe(503);
    expect(answer.json.error).toBe('model-router is unavailable; try again later');
    const ready = await http(`${down.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ ready: false });
    expect(down.readinessDetails()?.['model_router']).toMatch(/^error: /);
  });

  it('still answers 200 without Redis (cache bypassed on every request), and /ready reports redis failing', async () => {
    const user = `user-${suffix}-noredis`;
    const noRedis = await startFrontend({
      LOG_LEVEL: 'info',
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      DATABASE_URL,
      LEDGER_TABLE: table,
      CACHE_KEY_PREFIX: prefix,
      MODEL_ROUTER_ADDRESS: router.address,
      WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
    });
    extra.push(noRedis);
    const prompt = `no redis ${suffix}`;
    for (let i = 0; i < 2; i++) {
      const answer = await http(`${noRedis.url}/api/route`, { json: { model_type: 'stub-medium', prompt, user_id: user } });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json.cached).toBe(false);
    }
    expect(router.routeCalls).toHaveLength(2);
    expect((await rowsFor(user)).map((row) => row['cached'])).toEqual([false, false]);

    const ready = await http(`${noRedis.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ ready: false });
    expect(noRedis.readinessDetails()).toMatchObject({ postgres: 'ok', model_router: 'ok', orchestrator: 'ok' });
    expect(noRedis.readinessDetails()?.['redis']).toMatch(/^(error|timeout)/);
  });

  it('still answers 200 when the ledger is down (row counted as lost), and /ready reports postgres failing', async () => {
    const noPg = await startFrontend({
      LOG_LEVEL: 'info',
      REDIS_URL,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/test`,
      LEDGER_TABLE: table,
      CACHE_KEY_PREFIX: prefix,
      MODEL_ROUTER_ADDRESS: router.address,
      WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
    });
    extra.push(noPg);
    const answer = await http(`${noPg.url}/api/route`, { json: { model_type: 'stub-small', prompt: `no pg ${suffix}` } });
    expect(answer.status, answer.text).toBe(200);
    const ready = await http(`${noPg.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ ready: false });
    expect(noPg.readinessDetails()?.['postgres']).toMatch(/^(error|timeout)/);
    expect(noPg.readinessDetails()?.['redis']).toBe('ok');
  });
});

describe('POST /api/route with the embedded cache and ledger (no REDIS_URL, no DATABASE_URL)', () => {
  it('serves a miss then a hit from process memory, and /ready checks only the remote services', async () => {
    const router = await startFakeModelRouter();
    const orchestrator = await startFakeOrchestrator();
    const frontend = await startFrontend({ LOG_LEVEL: 'info', MODEL_ROUTER_ADDRESS: router.address, WORKFLOW_ORCHESTRATOR_URL: orchestrator.url });
    try {
      expect(frontend.runtime.cache.backend).toBe('memory');
      expect(frontend.runtime.ledger.backend).toBe('memory');
      const body = { model_type: 'stub-large', prompt: 'embedded', user_id: 'embedded-user' };
      const first = await http(`${frontend.url}/api/route`, { json: body });
      const second = await http(`${frontend.url}/api/route`, { json: body });
      expect([first.json.cached, second.json.cached]).toEqual([false, true]);
      expect(router.routeCalls).toHaveLength(1);
      expect(await frontend.runtime.ledger.totals('embedded-user')).toMatchObject({ requests: 2, cached_requests: 1, tokens: first.json.tokens_used * 2 });
      const ready = await http(`${frontend.url}/ready`);
      expect(ready.json).toEqual({ ready: true });
      expect(frontend.readinessDetails()).toEqual({ model_router: 'ok', orchestrator: 'ok' });
    } finally {
      await frontend.close();
      await Promise.all([router.close(), orchestrator.close()]);
    }
  });
});
