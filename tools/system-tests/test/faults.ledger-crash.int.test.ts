/**
 * Issue 16, item 2: the frontend is killed with SIGKILL while PostgreSQL is down. As in
 * faults.postgres-down, the frontend reaches the machine's PostgreSQL through a TCP proxy of this test,
 * which it cuts and restores (the real server is never touched). The usage rows of the answers served
 * during the outage are in the outbox file when the process dies; a new frontend on the same file
 * replays them once PostgreSQL is back. The test counts rows in the real table against answers served,
 * and duplicates (one row per request: its trace id).
 */
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_URL, startSystem, type RunningSystem } from './support/system';
import { newTrace, pollUntil, postJsonRaw, proxyInFrontOf, type TcpProxy } from './support/faults';

const run = randomUUID().slice(0, 8);
const table = `usage_ledger_crash_${run}`;
const user = `crash-${run}`;
let proxy: TcpProxy;
let system: RunningSystem;
let db: pg.Client;

beforeAll(async () => {
  let urlViaProxy: string;
  ({ proxy, urlViaProxy } = await proxyInFrontOf(DATABASE_URL));
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  system = await startSystem(`ledger-crash-${run}`, {
    serviceEnv: {
      frontend: { DATABASE_URL: urlViaProxy, LEDGER_TABLE: table, LEDGER_RETRY_MS: '200', LEDGER_MAX_RETRY_MS: '1000', DATABASE_QUERY_TIMEOUT_MS: '1000' },
    },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await proxy?.close();
  await db?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await db?.end();
}, 60_000);

const counts = async (): Promise<{ rows: number; distinctRequests: number }> => {
  const { rows } = await db.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT trace_id) AS d FROM ${table} WHERE user_id = $1`, [user]);
  return { rows: Number(rows[0]?.n ?? 0), distinctRequests: Number(rows[0]?.d ?? 0) };
};

/** Rows in the outbox file, read by this test directly (the frontend is dead by then). */
const rowsInFile = (): number => {
  const file = new DatabaseSync(system.ledgerOutboxPath, { readOnly: true });
  try {
    return Number((file.prepare('SELECT count(*) AS n FROM pending_usage').get() as { n: number }).n);
  } finally {
    file.close();
  }
};

async function route(i: string): Promise<{ status: number; traceId: string }> {
  const { traceId, traceparent } = newTrace();
  const r = await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: `crash ${run} ${i}`, user_id: user }, { traceparent });
  return { status: r.ok ? r.response.status : 0, traceId };
}

it('SIGKILL during a PostgreSQL outage loses no usage row: the restarted frontend replays the outbox file, rows = answers served, 0 duplicates', { timeout: 120_000 }, async () => {
  const served: string[] = [];
  const serve = async (label: string, n: number): Promise<number> => {
    let ok = 0;
    for (let i = 0; i < n; i += 1) {
      const r = await route(`${label} ${i}`);
      if (r.status === 200) {
        ok += 1;
        served.push(r.traceId);
      }
    }
    return ok;
  };

  const up = await serve('up', 5);
  await pollUntil(async () => ((await counts()).rows === 5 ? true : undefined), 50, 100);

  await proxy.cut();
  const down = await serve('down', 20);
  const tableDuringOutage = (await counts()).rows;

  system.frontend.kill('SIGKILL');
  const killed = await system.frontend.waitForExit(20_000);
  const fileAfterKill = rowsInFile();

  // A new process on the same file, PostgreSQL still down: it starts, serves, and keeps the new rows too.
  const restarted = await system.restartFrontend();
  const replayLogged = await restarted
    .waitForJsonLine((l) => typeof l['msg'] === 'string' && l['msg'].includes('replaying them'), 10_000)
    .then((l) => Number(l['rows']))
    .catch(() => 0);
  const downAfterRestart = await serve('restarted', 5);

  await proxy.restore();
  const expected = served.length;
  await pollUntil(async () => ((await counts()).rows >= expected ? true : undefined), 150, 100);
  const final = await counts();
  const { rows: byTrace } = await db.query<{ trace_id: string }>(`SELECT trace_id FROM ${table} WHERE user_id = $1`, [user]);
  const missing = served.filter((t) => !byTrace.some((r) => r.trace_id === t)).length;

  const figure =
    `up: ${up}/5 served; PostgreSQL cut: ${down}/20 served 200, table ${tableDuringOutage} rows; SIGKILL (signal ${killed.signal}): outbox file ${fileAfterKill} rows; ` +
    `restart with PostgreSQL still down: replay of ${replayLogged} rows logged, ${downAfterRestart}/5 more served; PostgreSQL back: ` +
    `rows ${final.rows} = answers served ${expected}, duplicates ${final.rows - final.distinctRequests}, served but missing ${missing}`;
  console.log(`[RELIABILITY] scenario 13 ${figure}`);

  expect(up, figure).toBe(5);
  expect(down, figure).toBe(20);
  expect(tableDuringOutage, figure).toBe(5);
  expect(killed.signal, figure).toBe('SIGKILL');
  expect(fileAfterKill, figure).toBe(20);
  expect(replayLogged, figure).toBe(20);
  expect(downAfterRestart, figure).toBe(5);
  expect(final.rows, figure).toBe(expected);
  expect(final.distinctRequests, figure).toBe(final.rows);
  expect(missing, figure).toBe(0);
  expect(rowsInFile(), figure).toBe(0);
});
