// Issue 18, item 3: no amplification. A ~30 KB request whose template repeats a placeholder over a
// long value used to build a 96 MB answer (peak RSS +420 MB) in one step and 528 MB (+2.3 GB) in three.
// Now filled templates, each step's output and a run's whole data are capped (LIMITS of
// @mcp/contracts), and a run holds its data once. The first block runs the app in-process; the last
// runs the compiled service as a real process and measures its peak RSS around the request.
import { readFileSync } from 'node:fs';
import { LIMITS } from '@mcp/contracts';
import { serviceEntry, spawnService, useProcessCleanup } from '@mcp/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonBytes } from '../src/services/run-store';
import { startOrchestrator, type Orchestrator } from './support/orchestrator.harness';

useProcessCleanup();

const started: Orchestrator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((o) => o.close()));
});
async function orchestrator(): Promise<Orchestrator> {
  const o = await startOrchestrator();
  started.push(o);
  return o;
}

const template = (name: string, text: string, output_key?: string) => ({ type: 'data_processing', name, operation: 'template', template: text, ...(output_key ? { output_key } : {}) });

/** 6 000 characters repeated 8 000 times by one step: 48 MB of text from a 30 KB request. */
const AMPLIFYING = {
  workflow_type: 'amplify',
  input_data: { t: 'x'.repeat(6_000) },
  steps: [template('explode', '{t}'.repeat(8_000)), template('double', '{text}{text}')],
};

describe('the limits of a run', () => {
  it('fails the amplifying step honestly: the limit in the error, nothing of the data built or stored', async () => {
    const o = await orchestrator();
    const request = JSON.stringify(AMPLIFYING);
    expect(request.length).toBeLessThan(31_000);
    const { status, body: run } = await o.execute(AMPLIFYING);
    expect(status).toBe(200);
    expect(run).toMatchObject({
      status: 'failed',
      error: `step "explode" (data_processing) failed: the filled template has more than ${LIMITS.stepOutputBytes} characters`,
      steps: [{ name: 'explode', status: 'failed' }, { name: 'double', status: 'pending' }],
    });
    expect(jsonBytes(run)).toBeLessThan(request.length + 4_096);
  });

  it('fails a step whose output passes stepOutputBytes (here an uppercase that triples: ΐ → Ϊ́)', async () => {
    const o = await orchestrator();
    const text = '\u0390'.repeat(50_000);
    expect(Buffer.byteLength('\u0390'.toUpperCase())).toBe(6);
    const { body: run } = await o.execute({ workflow_type: 'grow', input_data: { text }, steps: [{ type: 'data_processing', name: 'shout', operation: 'uppercase' }] });
    expect(run.status).toBe('failed');
    expect(run.steps[0].error).toMatch(new RegExp(`^the step's output has \\d+ bytes, more than ${LIMITS.stepOutputBytes}$`));
  });

  it("fails the step that would take the run's data past runDataBytes, and keeps the steps before it", async () => {
    const o = await orchestrator();
    // Each step adds ~200 KB under a new key: the sixth would make 1.2 MB.
    const chunk = 'y'.repeat(200_000);
    const steps = Array.from({ length: 6 }, (_, i) => template(`copy${i}`, '{chunk}', `copy${i}`));
    const { body: run } = await o.execute({ workflow_type: 'accumulate', input_data: { chunk }, steps });
    expect(run.status).toBe('failed');
    expect(run.completed_steps).toBe(4);
    expect(run.steps[4].error).toMatch(new RegExp(`^the run's data would have \\d+ bytes, more than ${LIMITS.runDataBytes}$`));
    expect(jsonBytes(run)).toBeLessThan(LIMITS.workflowRunAnswerBytes);
  });

  it('stores a run once: the store holds the step outputs, not the final output again; the API derives it', async () => {
    const o = await orchestrator();
    const text = 'z'.repeat(100_000);
    const steps = [template('a', '{text}', 'a'), template('b', '{a}', 'b')];
    const { body: run } = await o.execute({ workflow_type: 'once', input_data: { text }, steps });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ text, a: text, b: text });
    expect(await o.store.get(run.run_id)).not.toHaveProperty('output');
    // Input and two step outputs: three copies of the text, not six.
    expect(o.store.bytes).toBeGreaterThan(3 * text.length);
    expect(o.store.bytes).toBeLessThan(4 * text.length);
    expect((await o.getRun(run.run_id)).body).toEqual(run);
  });
});

describe('the compiled service, as a real process', () => {
  const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

  it('answers the amplifying request with a small failed run, and its peak memory barely moves', async () => {
    const service = await spawnService(serviceEntry('workflow-orchestrator'), {
      serviceName: 'workflow-orchestrator',
      preload: 'none',
      env: { PORT: '0', HOST: '127.0.0.1', MONGODB_URL: undefined, INTERNAL_API_SECRET: 'amplification-secret', COLLABORATION_HUB_URL: 'http://127.0.0.1:9' },
    });
    const before = peakRssMb(service.pid);
    const response = await fetch(`${service.url}/workflows/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(AMPLIFYING), signal: AbortSignal.timeout(20_000) });
    const answer = await response.text();
    const after = peakRssMb(service.pid);
    process.stdout.write(`[amplification] request ${JSON.stringify(AMPLIFYING).length} B → answer ${answer.length} B (before the limits: 240 012 510 B); peak RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB (before the limits: 103 → 1164 MB)\n`);
    expect(response.status).toBe(200);
    expect(JSON.parse(answer)).toMatchObject({ status: 'failed' });
    expect(answer.length).toBeLessThan(40_000);
    // Before the limits the same request took the peak up by about a gigabyte.
    expect(after - before).toBeLessThan(64);
  });
});
