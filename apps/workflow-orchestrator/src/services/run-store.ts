import type { WorkflowRun, WorkflowRunStatus, WorkflowStepRecord } from '@mcp/contracts';

/** What makes a request a replay of an earlier one: its Idempotency-Key and a hash of its body. */
export interface IdempotencyClaim {
  key: string;
  /** SHA-256 of the canonical request body; a key reused with another body is a client error. */
  requestHash: string;
}

export type CreateResult =
  /** The run was stored; the caller runs it. */
  | { created: true; run: WorkflowRun }
  /** The key was taken: the run stored under it (possibly still running), never a second one. */
  | { created: false; run: WorkflowRun; requestHash: string };

/** The fields a finished run gets. Not its output: that is derived from the steps (see {@link withOutput}). */
export interface RunCompletion {
  status: Exclude<WorkflowRunStatus, 'running'>;
  completed_steps: number;
  total_duration_ms: number;
  error?: string;
  updated_at: string;
}

/** Bytes of a value as JSON: how the run limits of @mcp/contracts measure data. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/**
 * The run as the API answers it. A completed run's `output`, the final data (input_data with every
 * step's output merged over it in order, as the steps saw it), is derived here and never stored: a
 * run holds each piece of its data once, in the store and in memory.
 */
export function withOutput(run: WorkflowRun): WorkflowRun {
  if (run.status !== 'completed') return run;
  // Spread, not Object.assign: a `__proto__` key of the data stays a plain key.
  return { ...run, output: run.steps.reduce<Record<string, unknown>>((data, step) => ({ ...data, ...step.output }), { ...run.input_data }) };
}

/**
 * Where runs live: MongoDB `workflow_runs` (one document per run, steps inside) or, without
 * MONGODB_URL, process memory. Every method rejects when the store cannot be reached; callers turn
 * that into 503. Runs come back as plain {@link WorkflowRun}s (no `_id`, no idempotency fields).
 */
export interface RunStore {
  /** `mongodb` or `memory`, for logs and /ready. */
  readonly kind: string;
  /**
   * Stores a new run. With a claim, the key is unique: of two concurrent creates with one key
   * exactly one stores its run, the other gets that run back (`created: false`).
   */
  create(run: WorkflowRun, claim?: IdempotencyClaim): Promise<CreateResult>;
  /** Replaces step `index` and sets `completed_steps`/`updated_at`. Rejects for an unknown run. */
  updateStep(runId: string, index: number, step: WorkflowStepRecord, fields: { completed_steps: number; updated_at: string }): Promise<void>;
  /** Records the end of a run. Rejects for an unknown run. */
  finish(runId: string, completion: RunCompletion): Promise<void>;
  /** The run, or undefined. */
  get(runId: string): Promise<WorkflowRun | undefined>;
  /** Resolves when the store answers (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by stores for an update of a run they do not hold. */
export class RunNotFoundError extends Error {
  readonly code = 'RUN_NOT_FOUND';
  constructor(readonly runId: string) {
    // Not the id itself: this message is logged, and a run id is the capability to read the run.
    super('the run is not in the run store (dropped while it ran?)');
    this.name = 'RunNotFoundError';
  }
}

/** The run store could not be reached: nothing can be recorded, so nothing may run. */
export class RunStoreUnavailableError extends Error {
  readonly code = 'RUN_STORE_UNAVAILABLE';
  constructor(readonly operation: string) {
    super(`run store unavailable (${operation})`);
    this.name = 'RunStoreUnavailableError';
  }
}
