// The behaviour every RunStore must have, run against each implementation (run-store.test.ts).
import { randomUUID } from 'node:crypto';
import type { WorkflowRun } from '@mcp/contracts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RunNotFoundError, type RunStore } from '../../src/services/run-store';

export function newRun(overrides: Partial<WorkflowRun> = {}): WorkflowRun {
  const at = new Date().toISOString();
  return {
    run_id: randomUUID(),
    progress_id: randomUUID().slice(0, 16),
    workflow_type: 'contract',
    status: 'running',
    steps: [
      { name: 'first', type: 'data_processing', index: 0, status: 'pending' },
      { name: 'second', type: 'model_inference', index: 1, status: 'pending' },
    ],
    input_data: { text: 'hello', nested: { list: [1, 2] } },
    completed_steps: 0,
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

export function runStoreContract(open: () => Promise<RunStore>): void {
  let store: RunStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('stores a run and returns exactly it, without storage fields', async () => {
    const run = newRun();
    await expect(store.create(run)).resolves.toEqual({ created: true, run });
    expect(await store.get(run.run_id)).toStrictEqual(run);
  });

  it('returns undefined for an unknown run', async () => {
    expect(await store.get(randomUUID())).toBeUndefined();
  });

  it('returns copies: changing a returned run changes nothing stored', async () => {
    const run = newRun();
    await store.create(run);
    const first = await store.get(run.run_id);
    if (!first) throw new Error('run not stored');
    first.status = 'failed';
    first.steps.forEach((step) => (step.status = 'failed'));
    expect(await store.get(run.run_id)).toStrictEqual(run);
  });

  it('answers a second create with a used Idempotency-Key with the first run and its request hash', async () => {
    const first = newRun();
    const key = `key-${randomUUID()}`;
    await expect(store.create(first, { key, requestHash: 'hash-1' })).resolves.toMatchObject({ created: true });
    const second = await store.create(newRun(), { key, requestHash: 'hash-2' });
    expect(second).toEqual({ created: false, run: first, requestHash: 'hash-1' });
  });

  it('lets exactly one of many concurrent creates with one key store its run', async () => {
    const key = `key-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => store.create(newRun(), { key, requestHash: 'h' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.run.run_id)).size).toBe(1);
  });

  it('never lets runs without a key, or with different keys, collide', async () => {
    const [a, b, c, d] = [newRun(), newRun(), newRun({ workflow_type: 'b' }), newRun({ workflow_type: 'c' })];
    const runs = [a, b, c, d];
    const results = await Promise.all([
      store.create(a),
      store.create(b),
      store.create(c, { key: `a-${randomUUID()}`, requestHash: 'h' }),
      store.create(d, { key: `b-${randomUUID()}`, requestHash: 'h' }),
    ]);
    expect(results.every((r) => r.created)).toBe(true);
    for (const run of runs) expect(await store.get(run.run_id)).toStrictEqual(run);
  });

  it('updates one step and the counters, leaving the other steps as they were', async () => {
    const run = newRun();
    await store.create(run);
    const step = { name: 'first', type: 'data_processing' as const, index: 0, status: 'completed' as const, duration_ms: 1.5, output: { word_count: 1 } };
    await store.updateStep(run.run_id, 0, step, { completed_steps: 1, updated_at: '2030-01-01T00:00:00.000Z' });
    expect(await store.get(run.run_id)).toStrictEqual({ ...run, steps: [step, run.steps[1]], completed_steps: 1, updated_at: '2030-01-01T00:00:00.000Z' });
  });

  it('records the end of a run: completed, or failed with its error', async () => {
    const ok = newRun();
    const bad = newRun();
    await store.create(ok);
    await store.create(bad);
    await store.finish(ok.run_id, { status: 'completed', completed_steps: 2, total_duration_ms: 12.5, updated_at: 'u1' });
    await store.finish(bad.run_id, { status: 'failed', completed_steps: 0, total_duration_ms: 3, error: 'step "first" failed', updated_at: 'u2' });
    expect(await store.get(ok.run_id)).toStrictEqual({ ...ok, status: 'completed', completed_steps: 2, total_duration_ms: 12.5, updated_at: 'u1' });
    expect(await store.get(bad.run_id)).toStrictEqual({ ...bad, status: 'failed', total_duration_ms: 3, error: 'step "first" failed', updated_at: 'u2' });
  });

  it('rejects updates of a run it does not hold', async () => {
    await expect(store.updateStep(randomUUID(), 0, { name: 'x', type: 'data_processing', index: 0, status: 'completed' }, { completed_steps: 1, updated_at: 'u' })).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(store.finish(randomUUID(), { status: 'completed', completed_steps: 0, total_duration_ms: 0, updated_at: 'u' })).rejects.toBeInstanceOf(RunNotFoundError);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
}
