/**
 * Issue 6, scenario 10: a cardinality flood. 10 000 distinct identifiers reach the system — 4 000 user
 * ids on /api/route, 3 000 unknown model names on /api/route, 3 000 session ids on the hub's internal
 * endpoint — and every metric instrument of every service keeps a bounded number of series (at most
 * the SDK's cardinality limit of 2 000, and in fact far fewer), no flood identifier becomes an
 * attribute value, and memory stays bounded.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INTERNAL_SECRET_HEADER } from '@mcp/contracts';
import { INTERNAL_API_SECRET, startSystem, type RunningSystem } from './support/system';
import { postJsonRaw, sleep } from './support/faults';
import { rssMiB, SERVICES } from './support/sdk-counts';

const run = randomUUID().slice(0, 8);
const USERS = 4_000;
const MODELS = 3_000;
const SESSIONS = 3_000;
const SDK_CARDINALITY_LIMIT = 2_000;
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(`cardinality-${run}`, {
    env: { OTEL_METRIC_EXPORT_INTERVAL: '1000' },
    serviceEnv: { frontend: { RATE_LIMIT_PER_MINUTE: '1000000' } },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

/** Series (distinct attribute sets) per metric in the latest export of each service. */
function seriesPerMetric(): Map<string, number> {
  const latest = new Map<string, bigint>();
  for (const p of system.receiver.metrics()) {
    const key = `${p.serviceName} ${p.name}`;
    if ((latest.get(key) ?? 0n) < p.timeUnixNano) latest.set(key, p.timeUnixNano);
  }
  const series = new Map<string, Set<string>>();
  for (const p of system.receiver.metrics()) {
    const key = `${p.serviceName} ${p.name}`;
    if (latest.get(key) !== p.timeUnixNano) continue;
    const set = series.get(key) ?? new Set<string>();
    set.add(JSON.stringify(Object.entries(p.attributes).sort(([a], [b]) => a.localeCompare(b))));
    series.set(key, set);
  }
  return new Map([...series].map(([k, v]) => [k, v.size]));
}

it('keeps every metric instrument within its series limit under 10 000 distinct ids', { timeout: 300_000 }, async () => {
  const processes = { frontend: system.frontend, 'workflow-orchestrator': system.orchestrator, 'model-router': system.modelRouter, 'collaboration-hub': system.hub };
  const rssBefore = Object.fromEntries(SERVICES.map((s) => [s, rssMiB(processes[s].pid)]));
  const jobs: Array<() => Promise<number>> = [];
  const status = (r: Awaited<ReturnType<typeof postJsonRaw>>): number => (r.ok ? r.response.status : 0);
  for (let i = 0; i < USERS; i += 1)
    jobs.push(async () => status(await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: `flood ${run} ${i % 50}`, user_id: `flood-user-${run}-${i}` })));
  for (let i = 0; i < MODELS; i += 1)
    jobs.push(async () => status(await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: `flood-model-${run}-${i}`, prompt: 'p', user_id: `flood-${run}` })));
  for (let i = 0; i < SESSIONS; i += 1)
    jobs.push(async () =>
      status(
        await postJsonRaw(
          `${system.hub.url}/internal/sessions/flood-session-${run}-${i}/events`,
          { type: 'run.started', progress_id: `flood-run-${i}`, workflow_type: 'flood', status: 'running', completed_steps: 0, total_steps: 1, at: new Date().toISOString() },
          { [INTERNAL_SECRET_HEADER]: INTERNAL_API_SECRET },
        ),
      ),
    );
  const statuses = new Map<number, number>();
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const s = await job();
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
    }),
  );
  // Two more metric exports, so the latest one holds everything the flood produced.
  await sleep(2_500);
  const rssAfter = Object.fromEntries(SERVICES.map((s) => [s, rssMiB(processes[s].pid)]));
  const series = seriesPerMetric();
  const top = [...series].sort((a, b) => b[1] - a[1]);
  const carrying = (kind: string) => system.receiver.metrics().filter((p) => Object.values(p.attributes).some((v) => typeof v === 'string' && v.includes(`flood-${kind}-${run}`)));
  // No flood id may become an attribute value: user and session ids never; unknown model names are
  // rejected by the router before any metric records them.
  const floodValues = [...carrying('user'), ...carrying('session')];
  const modelSeries = new Set(carrying('model').flatMap((p) => Object.values(p.attributes).filter((v) => typeof v === 'string' && v.includes(`flood-model-${run}`)) as string[]));
  const modelMetrics = [...new Set(carrying('model').map((p) => `${p.serviceName} ${p.name}`))];
  const figure =
    `${jobs.length} requests with 10 000 distinct ids (answers ${JSON.stringify(Object.fromEntries(statuses))}); ` +
    `${series.size} metric instruments, most series: ${top.slice(0, 5).map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
    `metric points carrying a user or session id: ${floodValues.length}; metric points carrying a flood model name: ${carrying('model').length}${modelMetrics.length > 0 ? ` (in ${modelMetrics.join(', ')})` : ''}, distinct ${modelSeries.size}; RSS ${SERVICES.map((s) => `${s} ${rssBefore[s]}→${rssAfter[s]} MiB`).join(', ')}`;
  console.log(`[RELIABILITY] scenario 10 ${figure}`);

  expect(statuses.get(200), figure).toBe(USERS);
  expect(statuses.get(404), figure).toBe(MODELS);
  expect(statuses.get(202), figure).toBe(SESSIONS);
  expect(top[0]?.[1] ?? 0, figure).toBeLessThanOrEqual(SDK_CARDINALITY_LIMIT);
  // None of our instruments grows with the ids: far below the SDK limit.
  expect(top[0]?.[1] ?? 0, figure).toBeLessThanOrEqual(200);
  expect(floodValues.map((p) => `${p.serviceName} ${p.name} ${JSON.stringify(p.attributes)}`).slice(0, 5), figure).toEqual([]);
  expect(modelSeries.size, figure).toBe(0);
  // RSS includes heap V8 has not collected yet; the bound catches a leak per request (10 000 requests), not GC slack.
  for (const s of SERVICES) expect((rssAfter[s] as number) - (rssBefore[s] as number), figure).toBeLessThan(400);
});
