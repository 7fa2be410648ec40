import type { WorkflowRun, WorkflowStepRecord } from '@mcp/contracts';
import { RunNotFoundError, type CreateResult, type IdempotencyClaim, type RunCompletion, type RunStore } from './run-store';

interface StoredRun {
  run: WorkflowRun;
  requestHash?: string;
  /** The idempotency key that maps to this run, dropped with it. */
  key?: string;
}

/** Finished runs the embedded store keeps by default: a long-lived dev stack must not grow without bound. */
export const MEMORY_RUN_STORE_MAX_FINISHED = 10_000;

/**
 * The embedded run store used when MONGODB_URL is unset: same contract as the MongoDB one while a
 * run is kept. Runs live as long as the process, except that beyond `maxFinished` finished runs the
 * oldest finished ones are dropped (with their idempotency keys); a running run is never dropped.
 * Every read and write copies, so callers never share state with it.
 */
export class MemoryRunStore implements RunStore {
  readonly kind = 'memory';
  /** In creation order (a Map keeps insertion order): the oldest come first when evicting. */
  private readonly runs = new Map<string, StoredRun>();
  private readonly keys = new Map<string, string>();
  private finished = 0;
  private closed = false;

  constructor(private readonly maxFinished = MEMORY_RUN_STORE_MAX_FINISHED) {}

  /** Runs held now (running and finished). */
  get size(): number {
    return this.runs.size;
  }

  async create(run: WorkflowRun, claim?: IdempotencyClaim): Promise<CreateResult> {
    this.assertOpen();
    // No await before the key check and the insert: two concurrent creates cannot both pass it.
    if (claim) {
      const existingId = this.keys.get(claim.key);
      const existing = existingId === undefined ? undefined : this.runs.get(existingId);
      if (existing) return { created: false, run: structuredClone(existing.run), requestHash: existing.requestHash ?? '' };
    }
    if (this.runs.has(run.run_id)) throw new Error(`duplicate run_id ${run.run_id}`);
    this.runs.set(run.run_id, { run: structuredClone(run), ...(claim ? { requestHash: claim.requestHash, key: claim.key } : {}) });
    if (claim) this.keys.set(claim.key, run.run_id);
    if (run.status !== 'running') this.countFinished();
    return { created: true, run: structuredClone(run) };
  }

  async updateStep(runId: string, index: number, step: WorkflowStepRecord, fields: { completed_steps: number; updated_at: string }): Promise<void> {
    const stored = this.stored(runId);
    stored.run.steps[index] = structuredClone(step);
    stored.run.completed_steps = fields.completed_steps;
    stored.run.updated_at = fields.updated_at;
  }

  async finish(runId: string, completion: RunCompletion): Promise<void> {
    const stored = this.stored(runId);
    const wasRunning = stored.run.status === 'running';
    Object.assign(stored.run, structuredClone(completion));
    if (wasRunning && stored.run.status !== 'running') this.countFinished();
  }

  async get(runId: string): Promise<WorkflowRun | undefined> {
    this.assertOpen();
    const stored = this.runs.get(runId);
    return stored ? structuredClone(stored.run) : undefined;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** One more finished run; beyond the bound, the oldest finished runs go. */
  private countFinished(): void {
    this.finished += 1;
    if (this.finished <= this.maxFinished) return;
    for (const [id, stored] of this.runs) {
      if (this.finished <= this.maxFinished) break;
      if (stored.run.status === 'running') continue;
      this.runs.delete(id);
      if (stored.key !== undefined) this.keys.delete(stored.key);
      this.finished -= 1;
    }
  }

  private stored(runId: string): StoredRun {
    this.assertOpen();
    const stored = this.runs.get(runId);
    if (!stored) throw new RunNotFoundError(runId);
    return stored;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('run store is closed');
  }
}
