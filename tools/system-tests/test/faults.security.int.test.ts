/**
 * Issue 6, scenario 12: security basics, on the running system. Security headers and a CORS policy on
 * the frontend; a rate limit on its public endpoints (429 with Retry-After); the hub's internal
 * endpoint refuses requests without the shared secret (or with a wrong one); Socket.IO refuses an
 * oversized packet without harm to the hub. (`npm audit` is run outside the tests: RELIABILITY.md.)
 */
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INTERNAL_SECRET_HEADER, LIMITS, SOCKET_EVENTS } from '@mcp/contracts';
import { startSystem, type RunningSystem } from './support/system';
import { postJsonRaw, request } from './support/faults';

const run = randomUUID().slice(0, 8);
const RATE_LIMIT = 30;
const ALLOWED_ORIGIN = 'http://app.example.test';
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(`security-${run}`, { serviceEnv: { frontend: { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), CORS_ORIGINS: ALLOWED_ORIGIN } } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

const figures: string[] = [];

it('frontend: security headers, CORS for the allowed origin only', async () => {
  const r = await request(`${system.frontend.url}/health`);
  if (!r.ok) throw new Error(r.code);
  const h = r.response.headers;
  const preflight = async (origin: string) => {
    const p = await request(`${system.frontend.url}/api/route`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    return p.ok ? p.response.headers['access-control-allow-origin'] : p.code;
  };
  const allowed = await preflight(ALLOWED_ORIGIN);
  const evil = await preflight('http://evil.example.test');
  figures.push(
    `headers: csp=${Boolean(h['content-security-policy'])} hsts=${Boolean(h['strict-transport-security'])} nosniff=${h['x-content-type-options']} frame=${h['x-frame-options']} x-powered-by=${h['x-powered-by'] ?? 'absent'}; CORS preflight allowed origin → ${String(allowed)}, other origin → ${String(evil ?? 'no Access-Control-Allow-Origin')}`,
  );
  expect(h['content-security-policy']).toBeTruthy();
  expect(h['strict-transport-security']).toBeTruthy();
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['x-frame-options']).toBeTruthy();
  expect(h['x-powered-by']).toBeUndefined();
  expect(allowed).toBe(ALLOWED_ORIGIN);
  expect(evil).toBeUndefined();
});

it('frontend: the rate limit answers 429 with Retry-After once the budget is spent', async () => {
  const statuses: number[] = [];
  let retryAfter: string | string[] | undefined;
  for (let i = 0; i < RATE_LIMIT + 5; i += 1) {
    const r = await request(`${system.frontend.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ models { name } }' }) });
    const status = r.ok ? r.response.status : 0;
    statuses.push(status);
    if (status === 429 && r.ok) retryAfter = r.response.headers['retry-after'];
  }
  const ok = statuses.filter((s) => s === 200).length;
  const limited = statuses.filter((s) => s === 429).length;
  figures.push(`rate limit ${RATE_LIMIT}/min: ${ok} × 200 then ${limited} × 429 (Retry-After ${String(retryAfter)} s)`);
  expect(ok).toBe(RATE_LIMIT);
  expect(limited).toBe(5);
  expect(Number(retryAfter)).toBeGreaterThan(0);
});

it('hub: the internal endpoint refuses a missing or wrong shared secret', async () => {
  const event = { type: 'run.started', progress_id: 'r', workflow_type: 'w', status: 'running', completed_steps: 0, total_steps: 1, at: new Date().toISOString() };
  const none = await postJsonRaw(`${system.hub.url}/internal/sessions/sec-${run}/events`, event);
  const wrong = await postJsonRaw(`${system.hub.url}/internal/sessions/sec-${run}/events`, event, { [INTERNAL_SECRET_HEADER]: 'not-the-secret' });
  const s = (o: typeof none) => (o.ok ? o.response.status : 0);
  figures.push(`hub internal endpoint: no secret → ${s(none)}, wrong secret → ${s(wrong)}`);
  expect([401, 403]).toContain(s(none));
  expect([401, 403]).toContain(s(wrong));
});

it('hub: an oversized Socket.IO packet closes that connection only; the hub keeps serving', async () => {
  const socket = io(system.hub.url, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const reason = await new Promise<string>((resolve) => {
    socket.once('disconnect', (r) => resolve(r));
    socket.emit(SOCKET_EVENTS.sessionMessage, { session_id: 's', text: 'x'.repeat(LIMITS.socketPacketBytes + 1024) });
    setTimeout(() => resolve('still connected'), 5_000);
  });
  socket.close();
  const second = io(system.hub.url, { transports: ['websocket'], reconnection: false });
  const ack = await new Promise<unknown>((resolve, reject) => {
    second.once('connect', () => void second.timeout(5_000).emitWithAck(SOCKET_EVENTS.sessionJoin, { session_id: `sec-${run}`, user_id: 'u' }).then(resolve, reject));
    second.once('connect_error', reject);
  });
  second.close();
  figures.push(`Socket.IO packet of ${LIMITS.socketPacketBytes + 1024} bytes (limit ${LIMITS.socketPacketBytes}): connection closed (${reason}); next connection joins: ${JSON.stringify(ack).slice(0, 40)}`);
  console.log(`[RELIABILITY] scenario 12 ${figures.join('; ')}`);
  expect(reason).not.toBe('still connected');
  expect(ack).toMatchObject({ ok: true });
  expect(system.hub.exitInfo()).toBeUndefined();
});
