/**
 * Issue 6, scenario 5: Redis goes down under the frontend and comes back. The frontend talks to a
 * redis-server of this test's own (a child on a free port, stopped and started again; the machine's
 * Redis is left alone). While it is down `/api/route` answers 200 with the cache bypassed (counted in
 * `mcp_frontend_cache_bypass_total`) and `/ready` is 503 naming redis; once it is back the same
 * process (no restart) caches again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loggedReadiness, startSystem, type RunningSystem } from './support/system';
import { pollUntil, postJsonRaw, redisChild, request, type RedisChild } from './support/faults';

const run = randomUUID().slice(0, 8);
let redis: RedisChild;
let system: RunningSystem;

beforeAll(async () => {
  redis = await redisChild();
  await redis.start();
  system = await startSystem(`redis-down-${run}`, { serviceEnv: { frontend: { REDIS_URL: redis.url } } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await redis?.stop();
}, 60_000);

async function route(prompt: string): Promise<{ status: number; cached: unknown }> {
  const r = await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt, user_id: `redis-${run}` });
  if (!r.ok) return { status: 0, cached: r.code };
  const body = JSON.parse(r.response.text) as Record<string, unknown>;
  return { status: r.response.status, cached: body['cached'] };
}

/** /ready's status and body (which must say nothing but ready or not); what failed is in the log. */
async function ready(): Promise<{ status: number; body: string }> {
  const r = await request(`${system.frontend.url}/ready`);
  return r.ok ? { status: r.response.status, body: r.response.text } : { status: 0, body: String(r.code) };
}

it('answers 200 without Redis (bypass counted), reports it in /ready, and caches again once Redis is back', { timeout: 120_000 }, async () => {
  const pid = system.frontend.pid;
  const prompt = `redis scenario ${run}`;
  // Up: a miss, then a hit.
  const upMiss = await route(prompt);
  const upHit = await route(prompt);
  const readyUp = await ready();

  // Down.
  await redis.stop();
  const readyDown = await pollUntil(async () => {
    const r = await ready();
    return r.status === 503 ? r : undefined;
  }, 50, 100);
  const redisLogged = (await loggedReadiness(system.frontend, (d) => d['redis'] !== 'ok'))['redis'];
  const down = [];
  for (let i = 0; i < 20; i += 1) down.push(await route(i % 2 === 0 ? prompt : `${prompt} ${i}`));
  // Cumulative counter: the latest point of each attribute set (operation get/set), summed.
  const bypassNow = (): number => {
    const latest = new Map<string, { t: bigint; v: number }>();
    for (const p of system.receiver.metrics()) {
      if (p.name !== 'mcp_frontend_cache_bypass_total' || p.serviceName !== 'frontend') continue;
      const key = JSON.stringify(p.attributes);
      const seen = latest.get(key);
      if (!seen || seen.t <= p.timeUnixNano) latest.set(key, { t: p.timeUnixNano, v: p.value ?? 0 });
    }
    return [...latest.values()].reduce((sum, x) => sum + x.v, 0);
  };
  const bypassTotal = (await pollUntil(() => (bypassNow() >= down.length ? bypassNow() : undefined), 50, 200)) ?? bypassNow();

  // Back (an empty Redis on the same port): the client reconnects by itself.
  await redis.start();
  const readyBack = await pollUntil(async () => {
    const r = await ready();
    return r.status === 200 ? r : undefined;
  }, 100, 100);
  const backMiss = await route(`${prompt} back`);
  const backHit = await route(`${prompt} back`);

  const figure =
    `up: miss cached=${String(upMiss.cached)}, hit cached=${String(upHit.cached)}, /ready ${readyUp.status}; ` +
    `down: /ready ${readyDown?.status} ${readyDown?.body}, logged redis="${String(redisLogged)}", /api/route 200 for ${down.filter((d) => d.status === 200).length}/${down.length}, cached answers ${down.filter((d) => d.cached === true).length}, bypass counted ${bypassTotal}; ` +
    `back: /ready ${readyBack?.status}, miss cached=${String(backMiss.cached)}, hit cached=${String(backHit.cached)}; same pid ${system.frontend.pid === pid && system.frontend.exitInfo() === undefined}`;
  console.log(`[RELIABILITY] scenario 5 ${figure}`);

  expect([upMiss.status, upHit.status, upMiss.cached, upHit.cached, readyUp.status], figure).toEqual([200, 200, false, true, 200]);
  expect(readyDown?.status, figure).toBe(503);
  expect(readyDown?.body, figure).toBe('{"ready":false}');
  expect(String(redisLogged), figure).toMatch(/error|timeout/);
  expect(down.every((d) => d.status === 200 && d.cached === false), figure).toBe(true);
  // Each bypassed request skips its lookup and its write: at least one bypass per request.
  expect(bypassTotal, figure).toBeGreaterThanOrEqual(down.length);
  expect(readyBack?.status, figure).toBe(200);
  expect([backMiss.status, backMiss.cached, backHit.status, backHit.cached], figure).toEqual([200, false, 200, true]);
  expect(system.frontend.exitInfo(), figure).toBeUndefined();
});
