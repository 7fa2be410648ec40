/**
 * Issue 6, scenario 2: the Collector is down for 5 s in the middle of the traffic, then back on the
 * same address. The OTLP/HTTP exporters retry refused connections with backoff within
 * OTEL_EXPORTER_OTLP_TIMEOUT (here the specification's 10 s, not the test kit's 3 s), so no span is
 * lost: every request's server span arrives, and per service the spans received equal the spans the
 * SDK ended, with 0 dropped.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '@mcp/otlp-receiver';
import { startSystem, type RunningSystem } from './support/system';
import { freePort } from '@mcp/test-kit';
import { newTrace, postJsonRaw, sleep } from './support/faults';
import { SERVICES, spanCounts } from './support/sdk-counts';

const run = randomUUID().slice(0, 8);
const OUTAGE_MS = 5_000;
let system: RunningSystem | undefined;
let port: number;
let before: OtlpReceiver | undefined;
let after: OtlpReceiver | undefined;

beforeAll(async () => {
  port = await freePort();
  before = await startOtlpReceiver({ port });
  system = await startSystem(`collector-back-${run}`, {
    endpoint: before.url,
    env: { OTEL_EXPORTER_OTLP_TIMEOUT: '10000', OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'true' },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await before?.close().catch(() => undefined);
  await after?.close();
}, 60_000);

it('loses no span across a 5 s Collector outage', { timeout: 120_000 }, async () => {
  const sys = system as RunningSystem;
  const traces: string[] = [];
  const statuses: number[] = [];
  const send = async (phase: string, i: number): Promise<void> => {
    const { traceId, traceparent } = newTrace();
    traces.push(traceId);
    const body =
      i % 4 === 0
        ? { workflow_type: 'collector_back', session_id: `cb-${run}`, input_data: { text: `${phase} ${i}` }, steps: [{ type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' }] }
        : { model_type: 'stub-small', prompt: `collector back ${run} ${phase} ${i}`, user_id: `cb-${run}` };
    const r = await postJsonRaw(`${sys.frontend.url}${i % 4 === 0 ? '/api/workflow/execute' : '/api/route'}`, body, { traceparent });
    statuses.push(r.ok ? r.response.status : 0);
  };
  const burst = async (phase: string, count: number): Promise<void> => {
    await Promise.all(Array.from({ length: count }, (_, i) => send(phase, i)));
  };

  await burst('up', 20);
  await sleep(500);
  await (before as OtlpReceiver).close();
  // Traffic all through the outage.
  for (let i = 0; i < 10; i += 1) {
    await burst(`down-${i}`, 4);
    await sleep(OUTAGE_MS / 10);
  }
  after = await startOtlpReceiver({ port });
  await burst('back', 20);

  // Stop every service (SIGTERM: drain, then flush) so everything they will ever export has been sent.
  await sys.stop();
  system = undefined;

  const spans = [...(before as OtlpReceiver).spans(), ...after.spans()];
  const unique = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const metrics = [...(before as OtlpReceiver).metrics(), ...after.metrics()];
  const frontendServerTraces = new Set([...unique.values()].filter((s) => s.serviceName === 'frontend' && s.kind === 'SERVER').map((s) => s.traceId));
  const missing = traces.filter((t) => !frontendServerTraces.has(t));
  const perService = SERVICES.map((service) => {
    const c = spanCounts(metrics, service);
    const received = [...unique.values()].filter((s) => s.serviceName === service).length;
    return { service, received, ...c };
  });
  const figure =
    `requests ${statuses.filter((s) => s === 200).length}/${statuses.length} served; request traces complete ${traces.length - missing.length}/${traces.length}; ` +
    `duplicates ${spans.length - unique.size}; ` +
    perService.map((p) => `${p.service}: received ${p.received}, SDK ended ${p.created}, dropped ${p.dropped} ${JSON.stringify(p.droppedBy)}`).join('; ');
  console.log(`[RELIABILITY] scenario 2 ${figure}`);

  expect(statuses.every((s) => s === 200), figure).toBe(true);
  expect(missing, figure).toEqual([]);
  for (const p of perService) {
    expect(p.dropped, figure).toBe(0);
    // The last metric export may be collected just before the last span batch is counted: received ≥ the SDK's count.
    expect(p.received, figure).toBeGreaterThanOrEqual(p.created);
  }
});
