import type { WorkflowRun, WorkflowStepRecord } from '@mcp/contracts';
import { RunNotFoundError, jsonBytes, type CreateResult, type IdempotencyClaim, type RunCompletion, type RunStore } from './run-store';

interface StoredRun {
  run: WorkflowRun;
  requestHash?: string;
  /** The idempotency key that maps to this run, dropped with it. */
  key?: string;
  /** Epoch ms after which the run is dropped: its created_at plus the retention. */
  expiresAt: number;
  /** JSON bytes of the run once finished (what counts against `maxBytes`); 0 while it runs. */
  bytes: number;
}

/** What the embedded store keeps; a long-lived dev stack must not grow without bound. */
export interface MemoryRunStoreLimits {
  /** Finished runs kept at most; beyond, the oldest finished go. */
  maxRuns: number;
  /** JSON bytes of the finished runs kept at most; beyond, the oldest finished go. */
  maxBytes: number;
  /** How long a run is kept after its created_at, in ms (the same retention as MongoDB's TTL index). */
  retentionMs: number;
}

export const MEMORY_RUN_STORE_DEFAULTS: MemoryRunStoreLimits = { maxRuns: 10_000, maxBytes: 128 * 1024 * 1024, retentionMs: 7 * 24 * 60 * 60 * 1000 };

/**
 * The embedded run store used when MONGODB_URL is unset: same contract as the MongoDB one while a
 * run is kept. A finished run is dropped (with its idempotency key) when it is older than the
 * retention, and the oldest finished ones go first when there are more than `maxRuns` or they hold
 * more than `maxBytes`; a running run is never dropped. Every read and write copies, so callers never
 * share state with it.
 */
export class MemoryRunStore implements RunStore {
  readonly kind = 'memory';
  /** In creation order (a Map keeps insertion order): the oldest come first when evicting. */
  private readonly runs = new Map<string, StoredRun>();
  private readonly keys = new Map<string, string>();
  private readonly limits: MemoryRunStoreLimits;
  private finished = 0;
  private finishedBytes = 0;
  private closed = false;

  constructor(
    limits: Partial<MemoryRunStoreLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...MEMORY_RUN_STORE_DEFAULTS, ...limits };
  }

  /** Runs held now (running and finished). */
  get size(): number {
    return this.runs.size;
  }

  /** JSON bytes of the finished runs held now. */
  get bytes(): number {
    return this.finishedBytes;
  }

  async create(run: WorkflowRun, claim?: IdempotencyClaim): Promise<CreateResult> {
    this.assertOpen();
    this.dropExpired();
    // No await before the key check and the insert: two concurrent creates cannot both pass it.
    if (claim) {
      const existingId = this.keys.get(claim.key);
      const existing = existingId === undefined ? undefined : this.runs.get(existingId);
      if (existing) return { created: false, run: structuredClone(existing.run), requestHash: existing.requestHash ?? '' };
    }
    if (this.runs.has(run.run_id)) throw new Error(`duplicate run_id ${run.run_id}`);
    const stored: StoredRun = { run: structuredClone(run), expiresAt: Date.parse(run.created_at) + this.limits.retentionMs, bytes: 0, ...(claim ? { requestHash: claim.requestHash, key: claim.key } : {}) };
    this.runs.set(run.run_id, stored);
    if (claim) this.keys.set(claim.key, run.run_id);
    if (run.status !== 'running') this.countFinished(stored);
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
    if (wasRunning && stored.run.status !== 'running') this.countFinished(stored);
  }

  async get(runId: string): Promise<WorkflowRun | undefined> {
    this.assertOpen();
    this.dropExpired();
    const stored = this.runs.get(runId);
    return stored ? structuredClone(stored.run) : undefined;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** One more finished run; beyond the count or byte bound, the oldest finished runs go. */
  private countFinished(stored: StoredRun): void {
    stored.bytes = jsonBytes(stored.run);
    this.finished += 1;
    this.finishedBytes += stored.bytes;
    for (const [id, candidate] of this.runs) {
      if (this.finished <= this.limits.maxRuns && this.finishedBytes <= this.limits.maxBytes) break;
      if (candidate.run.status !== 'running') this.drop(id, candidate);
    }
  }

  /** Drops the finished runs past their retention; creation order means the first unexpired one ends the search. */
  private dropExpired(): void {
    const now = this.now();
    for (const [id, candidate] of this.runs) {
      if (candidate.expiresAt > now) break;
      if (candidate.run.status !== 'running') this.drop(id, candidate);
    }
  }

  private drop(id: string, stored: StoredRun): void {
    this.runs.delete(id);
    if (stored.key !== undefined) this.keys.delete(stored.key);
    this.finished -= 1;
    this.finishedBytes -= stored.bytes;
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
