/**
 * Issue 16, "Also": every HTTP service bounds how long one client may take to send its request
 * (service-kit `httpServerTimeoutsEnv`: HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, checked every
 * HTTP_TIMEOUTS_CHECK_INTERVAL_MS), and the model-router closes a gRPC connection that stays idle
 * (GRPC_MAX_CONNECTION_IDLE_MS). Each slow client trickles for up to TRICKLE_BUDGET_MS, far longer
 * than the configured bounds; the test asserts the server closed the connection before the client
 * gave up, and that /health answered on other connections meanwhile. Durations are reported, not
 * asserted.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INTERNAL_API_SECRET, startSystem, type RunningSystem } from './support/system';
import { request, sleep } from './support/faults';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const GRPC_IDLE_MS = 1_000;
/** How long a slow client keeps trickling if nobody cuts it: many times the bounds above. */
const TRICKLE_BUDGET_MS = 30_000;
const TRICKLE_EVERY_MS = 200;

const run = randomUUID().slice(0, 8);
let system: RunningSystem;

beforeAll(async () => {
  const bounds = { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), HTTP_TIMEOUTS_CHECK_INTERVAL_MS: '250' };
  system = await startSystem(`slow-client-${run}`, { env: bounds, serviceEnv: { modelRouter: { GRPC_MAX_CONNECTION_IDLE_MS: String(GRPC_IDLE_MS) } } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

interface Trickled {
  /** The server closed (or reset) the connection before the client's budget ran out. */
  closedByServer: boolean;
  /** The first line the server wrote, if any (a 408 status line). */
  answer: string;
  /** Pieces the client managed to send before the close. */
  pieces: number;
  elapsedMs: number;
}

/** Connects to `port`, writes `head`, then one `piece` every TRICKLE_EVERY_MS until the server closes or the budget is spent. */
function trickle(port: number, head: string, piece: string): Promise<Trickled> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let pieces = 0;
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(budget);
      socket.destroy();
      resolve({ closedByServer, answer: answer.split('\r\n')[0] ?? '', pieces, elapsedMs: Date.now() - started });
    };
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      if (head) socket.write(head);
    });
    const timer = setInterval(() => {
      if (piece && socket.writable) {
        socket.write(piece);
        pieces += 1;
      }
    }, TRICKLE_EVERY_MS);
    const budget = setTimeout(() => finish(false), TRICKLE_BUDGET_MS);
  });
}

/** GET /health on a fresh connection every 250 ms while `during` runs; counts the answers. */
async function probeWhile<T>(url: string, during: Promise<T>): Promise<{ result: T; ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  let running = true;
  const probing = (async () => {
    while (running) {
      const r = await request(`${url}/health`, { headers: { connection: 'close' }, timeoutMs: 5_000 });
      if (r.ok && r.response.status === 200) ok += 1;
      else failed += 1;
      await sleep(250);
    }
  })();
  const result = await during;
  running = false;
  await probing;
  return { result, ok, failed };
}

it('each HTTP service cuts a client trickling its headers or its body, serving others meanwhile; the model-router closes an idle connection', { timeout: 180_000 }, async () => {
  const services = [
    { name: 'frontend', process: system.frontend, bodyHead: 'POST /api/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' },
    { name: 'workflow-orchestrator', process: system.orchestrator, bodyHead: 'POST /workflows/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' },
    { name: 'collaboration-hub', process: system.hub, bodyHead: `POST /internal/sessions/s-${run}/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-internal-secret: ${INTERNAL_API_SECRET}\r\n` },
  ];
  const rows: Array<{ name: string; mode: string; trickled: Trickled; ok: number; failed: number }> = [];
  for (const service of services) {
    // Headers that never end: one more header line every 200 ms.
    const headers = await probeWhile(service.process.url, trickle(service.process.port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n'));
    rows.push({ name: service.name, mode: 'headers', trickled: headers.result, ok: headers.ok, failed: headers.failed });
    // Complete headers, then a 100 000-byte body one byte at a time.
    const body = await probeWhile(service.process.url, trickle(service.process.port, `${service.bodyHead}Content-Length: 100000\r\n\r\n{`, 'a'));
    rows.push({ name: service.name, mode: 'body', trickled: body.result, ok: body.ok, failed: body.failed });
  }
  // gRPC: a TCP connection that sends nothing at all (not even the HTTP/2 preface).
  const grpcIdle = await trickle(system.modelRouter.port, '', '');

  const figure =
    rows.map((r) => `${r.name} ${r.mode}: ${r.trickled.closedByServer ? 'closed' : 'NOT closed'} after ${r.trickled.elapsedMs} ms (${r.trickled.pieces} pieces sent; answer "${r.trickled.answer}"), /health ${r.ok} ok ${r.failed} failed meanwhile`).join('; ') +
    `; model-router silent TCP connection: ${grpcIdle.closedByServer ? 'closed' : 'NOT closed'} after ${grpcIdle.elapsedMs} ms (bounds: headers ${HEADERS_TIMEOUT_MS} ms, request ${REQUEST_TIMEOUT_MS} ms, gRPC idle ${GRPC_IDLE_MS} ms; client budget ${TRICKLE_BUDGET_MS} ms)`;
  console.log(`[RELIABILITY] scenario 21 ${figure}`);

  for (const r of rows) {
    expect(r.trickled.closedByServer, `${r.name} ${r.mode}: ${figure}`).toBe(true);
    // Node answers 408 before closing when it can; a close without it is as good a cut.
    expect(r.trickled.answer, `${r.name} ${r.mode}: ${figure}`).toMatch(/^(HTTP\/1\.1 408 |$)/);
    expect(r.ok, `${r.name} ${r.mode}: ${figure}`).toBeGreaterThan(0);
    expect(r.failed, `${r.name} ${r.mode}: ${figure}`).toBe(0);
  }
  expect(grpcIdle.closedByServer, figure).toBe(true);
  for (const p of [system.frontend, system.orchestrator, system.hub, system.modelRouter]) expect(p.exitInfo(), `${p.name} still running`).toBeUndefined();
});
