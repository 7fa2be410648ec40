/**
 * Issue 6, scenario 1: the Collector is down for the whole run (nothing listens where traces and logs
 * go). Every request is still served, memory stays bounded (the span queue never exceeds its
 * capacity), and every span is accounted for by the SDK's own counters
 * (OTEL_NODE_EXPERIMENTAL_SDK_METRICS): spans received (0) = spans created − spans dropped.
 * Metrics alone still go to a live receiver, so the test can read those counters.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from './support/system';
import { freePort } from '@mcp/test-kit';
import { pollUntil, postJsonRaw } from './support/faults';
import { rssMiB, SERVICES, spanCounts, type SpanCounts } from './support/sdk-counts';

const run = randomUUID().slice(0, 8);
const QUEUE = 256;
const ROUTES = 150;
const WORKFLOWS = 30;
let system: RunningSystem;
let deadPort: number;

beforeAll(async () => {
  deadPort = await freePort();
  const dead = `http://127.0.0.1:${deadPort}`;
  system = await startSystem(`collector-down-${run}`, {
    env: {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${dead}/v1/traces`,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${dead}/v1/logs`,
      OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'true',
      OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE),
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '128',
    },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

it('serves every request, keeps the span queue bounded and counts every dropped span', { timeout: 120_000 }, async () => {
  const processes = { frontend: system.frontend, 'workflow-orchestrator': system.orchestrator, 'model-router': system.modelRouter, 'collaboration-hub': system.hub };
  const rssBefore = Object.fromEntries(SERVICES.map((s) => [s, rssMiB(processes[s].pid)]));

  const jobs: Array<() => Promise<number>> = [];
  for (let i = 0; i < ROUTES; i += 1)
    jobs.push(async () => {
      const r = await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: `collector down ${run} ${i}`, user_id: `cd-${run}` });
      return r.ok ? r.response.status : 0;
    });
  for (let i = 0; i < WORKFLOWS; i += 1)
    jobs.push(async () => {
      const r = await postJsonRaw(`${system.frontend.url}/api/workflow/execute`, {
        workflow_type: 'collector_down',
        session_id: `cd-${run}`,
        input_data: { text: `run ${i}` },
        steps: [
          { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' },
          { type: 'data_processing', name: 'upper', operation: 'uppercase' },
        ],
      });
      return r.ok ? r.response.status : 0;
    });
  const statuses: number[] = [];
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) statuses.push(await job());
    }),
  );
  const served = statuses.filter((s) => s === 200).length;
  const rssAfter = Object.fromEntries(SERVICES.map((s) => [s, rssMiB(processes[s].pid)]));

  // Every exporter attempt fails (connection refused, retried within OTEL_EXPORTER_OTLP_TIMEOUT); wait
  // until each service's queue is empty and every span started is counted as exported or dropped.
  const settled = await pollUntil(
    () => {
      const counts = Object.fromEntries(SERVICES.map((s) => [s, spanCounts(system.receiver.metrics(), s)])) as Record<string, SpanCounts>;
      const done = SERVICES.every((s) => counts[s] !== undefined && counts[s].created > 0 && counts[s].queued === 0 && counts[s].created === counts[s].exported + counts[s].dropped + counts[s].queued);
      return done ? counts : undefined;
    },
    150,
    200,
  );
  const counts = settled ?? (Object.fromEntries(SERVICES.map((s) => [s, spanCounts(system.receiver.metrics(), s)])) as Record<string, SpanCounts>);
  const received = system.receiver.spans();
  const maxQueue = Math.max(0, ...system.receiver.metrics().filter((p) => p.name === 'otel.sdk.processor.span.queue.size').map((p) => p.value ?? 0));
  const lines = SERVICES.map((s) => {
    const c = counts[s] as SpanCounts;
    const got = received.filter((span) => span.serviceName === s).length;
    return `${s}: received ${got} = created ${c.created} − dropped ${c.dropped} (${JSON.stringify(c.droppedBy)}); RSS ${rssBefore[s]}→${rssAfter[s]} MiB`;
  });
  const figure = `requests served ${served}/${jobs.length}; span queue max ${maxQueue} of capacity ${QUEUE}; ${lines.join('; ')}`;
  console.log(`[RELIABILITY] scenario 1 ${figure}`);

  expect(served, figure).toBe(jobs.length);
  expect(settled, `counters never settled: ${figure}`).toBeDefined();
  expect(maxQueue, figure).toBeLessThanOrEqual(QUEUE);
  for (const s of SERVICES) {
    const c = counts[s] as SpanCounts;
    const got = received.filter((span) => span.serviceName === s).length;
    expect(got, figure).toBe(0);
    expect(c.exported, figure).toBe(0);
    expect(got, figure).toBe(c.created - c.dropped);
    // Bounded memory: a dead Collector must not make a service grow with the traffic it serves.
    expect((rssAfter[s] as number) - (rssBefore[s] as number), figure).toBeLessThan(150);
  }
  // The frontend made far more spans than its queue holds: some were dropped for a full queue, and counted.
  expect((counts['frontend'] as SpanCounts).droppedBy['queue_full'] ?? 0, figure).toBeGreaterThan(0);
});
