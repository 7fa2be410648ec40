/**
 * Issue 6, scenario 3: the Collector accepts connections and never answers (traces and logs; metrics
 * still flow so the SDK's own counters can be read). Requests are served within their normal budget
 * (the client gives each one the frontend's model-router deadline, 5 s, and none runs out), span
 * exports end by their timeout (OTEL_EXPORTER_OTLP_TIMEOUT) and are counted as failed instead of
 * piling up, and on SIGTERM every service exits within its shutdown deadline.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from './support/system';
import { pollUntil, postJsonRaw } from './support/faults';
import { SERVICES, spanCounts } from './support/sdk-counts';

const run = randomUUID().slice(0, 8);
const APP_SHUTDOWN_TIMEOUT_MS = 5_000;
const OTEL_NODE_SHUTDOWN_TIMEOUT_MS = 3_000;
const REQUEST_BUDGET_MS = 5_000;
const QUEUE = 512;
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(`collector-hang-${run}`, {
    env: {
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'true',
      OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE),
      APP_SHUTDOWN_TIMEOUT_MS: String(APP_SHUTDOWN_TIMEOUT_MS),
      OTEL_NODE_SHUTDOWN_TIMEOUT_MS: String(OTEL_NODE_SHUTDOWN_TIMEOUT_MS),
    },
  });
  system.receiver.hang({ signals: ['traces', 'logs'] });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

it('serves within budget, times exports out, and shuts down within the deadline', { timeout: 120_000 }, async () => {
  const outcomes: string[] = [];
  const jobs = Array.from({ length: 80 }, (_, i) => async () => {
    const workflow = i % 5 === 0;
    const r = await postJsonRaw(
      `${system.frontend.url}${workflow ? '/api/workflow/execute' : '/api/route'}`,
      workflow
        ? { workflow_type: 'collector_hang', session_id: `ch-${run}`, input_data: { text: `t ${i}` }, steps: [{ type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' }] }
        : { model_type: 'stub-small', prompt: `collector hang ${run} ${i}`, user_id: `ch-${run}` },
      {},
      REQUEST_BUDGET_MS,
    );
    outcomes.push(r.ok ? String(r.response.status) : r.code);
  });
  const queue = [...jobs];
  await Promise.all(Array.from({ length: 6 }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));

  // The hung exports time out and are counted as failed by each service's batch processor.
  const counted = await pollUntil(() => {
    const c = spanCounts(system.receiver.metrics(), 'frontend');
    return c.dropped > 0 ? c : undefined;
  }, 100, 200);
  const counts = SERVICES.map((s) => ({ s, ...spanCounts(system.receiver.metrics(), s) }));
  const maxQueue = Math.max(0, ...system.receiver.metrics().filter((p) => p.name === 'otel.sdk.processor.span.queue.size').map((p) => p.value ?? 0));

  // SIGTERM every service at once; each must exit within its deadline although its flush hangs.
  const processes = [system.frontend, system.orchestrator, system.hub, system.modelRouter];
  const names = ['frontend', 'workflow-orchestrator', 'collaboration-hub', 'model-router'];
  for (const p of processes) p.kill('SIGTERM');
  const exits = await Promise.all(
    processes.map((p, i) =>
      p.waitForExit(APP_SHUTDOWN_TIMEOUT_MS + OTEL_NODE_SHUTDOWN_TIMEOUT_MS + 2_000).then(
        (e) => `${names[i]} exit ${e.code ?? e.signal}`,
        () => `${names[i]} still running`,
      ),
    ),
  );
  const served = outcomes.filter((o) => o === '200').length;
  const figure =
    `requests served 200 within the ${REQUEST_BUDGET_MS} ms budget ${served}/${jobs.length} (others: ${JSON.stringify(outcomes.filter((o) => o !== '200'))}); ` +
    `span exports timed out and counted: ${counts.map((c) => `${c.s} dropped ${c.dropped} ${JSON.stringify(c.droppedBy)}`).join(', ')}; span queue max ${maxQueue}/${QUEUE}; ` +
    `spans received ${system.receiver.spans().length} (receiver hangs); exits after SIGTERM ${exits.join(', ')} (deadline ${APP_SHUTDOWN_TIMEOUT_MS}+${OTEL_NODE_SHUTDOWN_TIMEOUT_MS} ms)`;
  console.log(`[RELIABILITY] scenario 3 ${figure}`);

  expect(served, figure).toBe(jobs.length);
  expect(counted, figure).toBeDefined();
  expect(maxQueue, figure).toBeLessThanOrEqual(QUEUE);
  expect(system.receiver.spans().length, figure).toBe(0);
  for (const p of processes) expect(p.exitInfo(), `${p.name} ${figure}`).toEqual({ code: 0, signal: null });
});
