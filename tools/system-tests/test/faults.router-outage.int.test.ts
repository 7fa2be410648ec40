/**
 * Issue 6, scenario 7: the model-router is slow (MODEL_EXTRA_LATENCY_MS above both callers' gRPC
 * deadline), then down (killed). The frontend (REST route, workflow passthrough) and the orchestrator
 * answer 504 / 503, every request gets its answer (none hangs: each client waits at most the
 * deadline plus a margin), and the orchestrator still records each failed run.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from './support/system';
import { postJsonRaw, request, type Outcome } from './support/faults';

const run = randomUUID().slice(0, 8);
const DEADLINE_MS = 500;
/** A request not answered by the deadline plus this margin counts as hung. */
const CLIENT_WAIT_MS = DEADLINE_MS + 4_000;
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(`router-outage-${run}`, {
    serviceEnv: {
      modelRouter: { MODEL_EXTRA_LATENCY_MS: '3000' },
      frontend: { MODEL_ROUTER_DEADLINE_MS: String(DEADLINE_MS) },
      orchestrator: { MODEL_ROUTER_DEADLINE_MS: String(DEADLINE_MS) },
    },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

const workflow = (i: number) => ({
  workflow_type: 'router_outage',
  input_data: { text: `t ${i}` },
  steps: [
    { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' },
    { type: 'data_processing', name: 'upper', operation: 'uppercase' },
  ],
});

interface Round {
  frontendRoute: Outcome[];
  frontendWorkflow: Outcome[];
  orchestrator: Outcome[];
}

async function round(label: string): Promise<Round> {
  const n = 10;
  const [frontendRoute, frontendWorkflow, orchestrator] = await Promise.all([
    Promise.all(Array.from({ length: n }, (_, i) => postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: `${label} ${run} ${i}`, user_id: `ro-${run}` }, {}, CLIENT_WAIT_MS))),
    Promise.all(Array.from({ length: n }, (_, i) => postJsonRaw(`${system.frontend.url}/api/workflow/execute`, workflow(i), {}, CLIENT_WAIT_MS))),
    Promise.all(Array.from({ length: n }, (_, i) => postJsonRaw(`${system.orchestrator.url}/workflows/execute`, workflow(i), {}, CLIENT_WAIT_MS))),
  ]);
  return { frontendRoute, frontendWorkflow, orchestrator };
}

const statusesOf = (outcomes: Outcome[]): string => {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.ok ? String(o.response.status) : o.code;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${k}×${v}`).join(' ');
};

/** Each orchestrator error names its recorded run; fetch them all and count the failed ones. */
async function recordedFailedRuns(outcomes: Outcome[]): Promise<number> {
  let failed = 0;
  for (const o of outcomes) {
    if (!o.ok) continue;
    const body = JSON.parse(o.response.text) as { details?: string[] };
    const id = /^run (\S+) is recorded as failed/.exec(body.details?.[0] ?? '')?.[1];
    if (!id) continue;
    const got = await request(`${system.orchestrator.url}/workflows/runs/${id}`);
    if (got.ok && (JSON.parse(got.response.text) as { status?: string }).status === 'failed') failed += 1;
  }
  return failed;
}

it('answers 504 while the model-router is slow and 503 while it is down; no request hangs; runs recorded', { timeout: 120_000 }, async () => {
  const slow = await round('slow');
  const slowRecorded = await recordedFailedRuns(slow.orchestrator);
  // The router counts each call its callers gave up on; its metrics are exported on a timer, so
  // wait for the count before the kill (a SIGKILL loses whatever was not exported yet). Not all 30:
  // on a loaded machine a call's deadline can pass before the router sees it.
  const routerErrors = await system.receiver
    .waitForMetric('mcp_model_inference_errors_total', { timeoutMs: 20_000, predicate: (p) => p.serviceName === 'model-router' && Number(p.value) >= 1 })
    .then(() => Math.max(0, ...system.receiver.metrics().filter((p) => p.name === 'mcp_model_inference_errors_total' && p.serviceName === 'model-router').map((p) => Number(p.value))))
    .catch(() => 0);

  system.modelRouter.kill('SIGKILL');
  await system.modelRouter.waitForExit(10_000);
  const down = await round('down');
  const downRecorded = await recordedFailedRuns(down.orchestrator);

  const figure =
    `slow (router +3000 ms, deadline ${DEADLINE_MS} ms): frontend /api/route ${statusesOf(slow.frontendRoute)}, frontend /api/workflow/execute ${statusesOf(slow.frontendWorkflow)}, orchestrator ${statusesOf(slow.orchestrator)} (failed runs recorded ${slowRecorded}/10), router inference errors counted (largest series) ${routerErrors} of 30 calls; ` +
    `down (router killed): frontend /api/route ${statusesOf(down.frontendRoute)}, frontend /api/workflow/execute ${statusesOf(down.frontendWorkflow)}, orchestrator ${statusesOf(down.orchestrator)} (failed runs recorded ${downRecorded}/10); ` +
    `hung (no answer within deadline + 4 s): ${[...Object.values(slow), ...Object.values(down)].flat().filter((o) => !o.ok).length}`;
  console.log(`[RELIABILITY] scenario 7 ${figure}`);

  for (const outcomes of Object.values(slow)) expect(statusesOf(outcomes), figure).toBe('504×10');
  for (const outcomes of Object.values(down)) expect(statusesOf(outcomes), figure).toBe('503×10');
  expect(slowRecorded, figure).toBe(10);
  expect(routerErrors, figure).toBeGreaterThanOrEqual(1);
  expect(routerErrors, figure).toBeLessThanOrEqual(30);
  expect(downRecorded, figure).toBe(10);
});
