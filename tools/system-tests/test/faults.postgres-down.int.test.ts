/**
 * Issue 6, scenario 6: PostgreSQL goes down under the frontend. The frontend reaches the machine's
 * PostgreSQL through a TCP proxy of this test, which the test cuts (every connection dropped, the
 * port closed) and restores. Decision (apps/frontend/README.md): the row is written once PostgreSQL
 * is back (a bounded outbox); when the outbox is full, the request is refused with 503 before any
 * work. The test counts rows in the real table.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_URL, loggedReadiness, startSystem, type RunningSystem } from './support/system';
import { newTrace, pollUntil, postJsonRaw, request, proxyInFrontOf, type TcpProxy } from './support/faults';

const run = randomUUID().slice(0, 8);
const table = `usage_ledger_pgdown_${run}`;
const user = `pgdown-${run}`;
const OUTBOX = 40;
let proxy: TcpProxy;
let system: RunningSystem;
let db: pg.Client;

beforeAll(async () => {
  let urlViaProxy: string;
  ({ proxy, urlViaProxy } = await proxyInFrontOf(DATABASE_URL));
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  system = await startSystem(`pgdown-${run}`, {
    serviceEnv: {
      frontend: {
        DATABASE_URL: urlViaProxy,
        LEDGER_TABLE: table,
        LEDGER_OUTBOX_MAX_ROWS: String(OUTBOX),
        LEDGER_RETRY_MS: '200',
        LEDGER_MAX_RETRY_MS: '1000',
        DATABASE_QUERY_TIMEOUT_MS: '1000',
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await proxy?.close();
  await db?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await db?.end();
}, 60_000);

const rows = async (): Promise<number> => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE user_id = $1`, [user])).rows[0]?.n ?? 0);

async function route(i: string): Promise<{ status: number; traceId: string }> {
  const { traceId, traceparent } = newTrace();
  const r = await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: `pg down ${run} ${i}`, user_id: user }, { traceparent });
  return { status: r.ok ? r.response.status : 0, traceId };
}

const pendingGauge = (): number | undefined => {
  const points = system.receiver.metrics().filter((p) => p.name === 'mcp_frontend_ledger_outbox_pending' && p.serviceName === 'frontend');
  return points.at(-1)?.value;
};

it('keeps every usage row while PostgreSQL is down and writes it once it is back; refuses before any work when the outbox is full', { timeout: 120_000 }, async () => {
  // Up.
  const up = [];
  for (let i = 0; i < 10; i += 1) up.push(await route(`up ${i}`));
  const rowsUp = await pollUntil(async () => ((await rows()) === 10 ? 10 : undefined), 50, 100);

  // Down: answers still 200, rows kept in the outbox.
  await proxy.cut();
  const down = [];
  for (let i = 0; i < 30; i += 1) down.push(await route(`down ${i}`));
  const rowsDuringOutage = await rows();
  const pendingDuringOutage = await pollUntil(() => ((pendingGauge() ?? 0) >= 30 ? pendingGauge() : undefined), 50, 100);
  const ready = await request(`${system.frontend.url}/ready`);
  // The answer says only that the frontend is not ready; which dependency and why is in its log.
  const readyDown = ready.ok ? `${ready.response.status} ${ready.response.text}, logged postgres=${String((await loggedReadiness(system.frontend, (d) => d['postgres'] !== 'ok'))['postgres'])}` : ready.code;

  // Back: the outbox empties into the table.
  await proxy.restore();
  const rowsBack = await pollUntil(async () => ((await rows()) === 40 ? 40 : undefined), 100, 100);
  const pendingBack = await pollUntil(() => (pendingGauge() === 0 ? 0 : undefined), 50, 100);

  // Down again, until the outbox is full: the next requests are refused before any work.
  await proxy.cut();
  const fill = [];
  for (let i = 0; i < OUTBOX + 5; i += 1) fill.push(await route(`fill ${i}`));
  const accepted = fill.filter((f) => f.status === 200);
  const refused = fill.filter((f) => f.status === 503);
  await system.receiver.waitForSpans({ serviceName: 'frontend', kind: 'SERVER' }, { count: 1 });
  const refusedTraces = new Set(refused.map((r) => r.traceId));
  const work = await pollUntil(() => {
    const spans = system.receiver.spans().filter((s) => refusedTraces.has(s.traceId));
    return spans.some((s) => s.serviceName === 'frontend' && s.kind === 'SERVER') ? spans : undefined;
  }, 50, 100);
  const workInRefused = (work ?? []).filter((s) => s.serviceName === 'model-router' || /^grpc\.|^redis-|^pg\./.test(s.name));

  // PostgreSQL back, then SIGTERM: whatever the retry has not written yet is written at shutdown.
  await proxy.restore();
  system.frontend.kill('SIGTERM');
  const exit = await system.frontend.waitForExit(20_000);
  const rowsFinal = await rows();
  const lostLogged = system.frontend.stdout().split('\n').filter((l) => l.includes('kept in the outbox file for the next start')).length;

  const served = up.length + down.length + accepted.length;
  const figure =
    `up: 10/10 served, rows ${rowsUp}; down: ${down.filter((d) => d.status === 200).length}/30 served 200, rows in table ${rowsDuringOutage} (still 10), outbox pending ${pendingDuringOutage}, /ready ${readyDown}; ` +
    `back: rows ${rowsBack}, pending ${pendingBack}; outbox full (${OUTBOX}): ${accepted.length} served, ${refused.length} refused 503 with ${workInRefused.length} spans of work (model-router, Redis, pg) among their ${(work ?? []).length} spans; ` +
    `after restore + SIGTERM (exit ${exit.code}): rows ${rowsFinal} = answers served ${served}; rows left in the outbox file at exit (logged) ${lostLogged}`;
  console.log(`[RELIABILITY] scenario 6 ${figure}`);

  expect(up.every((u) => u.status === 200) && rowsUp === 10, figure).toBe(true);
  expect(down.every((d) => d.status === 200), figure).toBe(true);
  expect(rowsDuringOutage, figure).toBe(10);
  expect(pendingDuringOutage, figure).toBe(30);
  expect(readyDown, figure).toMatch(/^503 \{"ready":false\}, logged postgres=(error|timeout)/);
  expect(rowsBack, figure).toBe(40);
  expect(pendingBack, figure).toBe(0);
  expect(accepted.length, figure).toBe(OUTBOX);
  expect(refused.length, figure).toBe(5);
  expect(workInRefused, figure).toEqual([]);
  expect(exit.code, figure).toBe(0);
  expect(rowsFinal, figure).toBe(served);
  expect(lostLogged, figure).toBe(0);
});
