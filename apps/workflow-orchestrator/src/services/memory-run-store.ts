import type { WorkflowRun, WorkflowStepRecord } from '@mcp/contracts';
import { RunNotFoundError, type CreateResult, type IdempotencyClaim, type RunCompletion, type RunStore } from './run-store';

interface StoredRun {
  run: WorkflowRun;
  requestHash?: string;
}

/**
 * The embedded run store used when MONGODB_URL is unset: same contract as the MongoDB one, runs
 * live as long as the process. Every read and write copies, so callers never share state with it.
 */
export class MemoryRunStore implements RunStore {
  readonly kind = 'memory';
  private readonly runs = new Map<string, StoredRun>();
  private readonly keys = new Map<string, string>();
  private closed = false;

  async create(run: WorkflowRun, claim?: IdempotencyClaim): Promise<CreateResult> {
    this.assertOpen();
    // No await before the key check and the insert: two concurrent creates cannot both pass it.
    if (claim) {
      const existingId = this.keys.get(claim.key);
      const existing = existingId === undefined ? undefined : this.runs.get(existingId);
      if (existing) return { created: false, run: structuredClone(existing.run), requestHash: existing.requestHash ?? '' };
    }
    if (this.runs.has(run.run_id)) throw new Error(`duplicate run_id ${run.run_id}`);
    this.runs.set(run.run_id, { run: structuredClone(run), ...(claim ? { requestHash: claim.requestHash } : {}) });
    if (claim) this.keys.set(claim.key, run.run_id);
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
    Object.assign(stored.run, structuredClone(completion));
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
