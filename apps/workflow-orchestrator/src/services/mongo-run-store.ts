import type { WorkflowRun, WorkflowStepRecord } from '@mcp/contracts';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { RunNotFoundError, type CreateResult, type IdempotencyClaim, type RunCompletion, type RunStore } from './run-store';

export const RUNS_COLLECTION = 'workflow_runs';

/** A run as stored: the public run plus what idempotency and retention need, never returned to callers. */
export interface RunDocument extends WorkflowRun {
  idempotency_key?: string;
  request_hash?: string;
  /** When MongoDB's TTL monitor deletes the run (a BSON date: TTL indexes ignore strings). */
  expires_at: Date;
}

const PUBLIC_PROJECTION = { _id: 0, idempotency_key: 0, request_hash: 0, expires_at: 0 } as const;
const EXPIRES_AT_INDEX = 'expires_at_ttl';
const DUPLICATE_KEY = 11000;

export interface MongoRunStoreOptions {
  url: string;
  /** Default: the database of the URL, else `mcp`. */
  database?: string;
  /** Server selection timeout: how long an operation waits for a reachable server before failing. */
  timeoutMs: number;
  /** How long a run is kept after its created_at, in ms (a TTL index deletes it after). */
  retentionMs: number;
}

/** The document of a new run: with its claim, and the date after which MongoDB deletes it. */
export function runDocument(run: WorkflowRun, claim: IdempotencyClaim | undefined, retentionMs: number): RunDocument {
  return { ...run, ...(claim ? { idempotency_key: claim.key, request_hash: claim.requestHash } : {}), expires_at: new Date(Date.parse(run.created_at) + retentionMs) };
}

function isDuplicateKey(error: unknown, field: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, keyPattern } = error as { code?: unknown; keyPattern?: unknown };
  return code === DUPLICATE_KEY && typeof keyPattern === 'object' && keyPattern !== null && field in keyPattern;
}

function databaseOf(url: string): string | undefined {
  try {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

/**
 * Runs in MongoDB `workflow_runs`, one document per run with its steps inside, through the
 * official driver. `run_id` is unique, and so is `idempotency_key` where present (a partial index,
 * so the many runs without a key do not collide): the database, not a read-then-write, decides
 * which of two concurrent requests with one key creates the run.
 */
export class MongoRunStore implements RunStore {
  readonly kind = 'mongodb';
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly runs: Collection<RunDocument>;
  private indexes: Promise<void> | undefined;
  private readonly retentionMs: number;

  constructor(options: MongoRunStoreOptions) {
    this.retentionMs = options.retentionMs;
    this.client = new MongoClient(options.url, {
      appName: 'workflow-orchestrator',
      serverSelectionTimeoutMS: options.timeoutMs,
      connectTimeoutMS: options.timeoutMs,
      // Optional fields left undefined stay absent instead of becoming null.
      ignoreUndefined: true,
    });
    this.db = this.client.db(options.database ?? databaseOf(options.url) ?? 'mcp');
    this.runs = this.db.collection<RunDocument>(RUNS_COLLECTION);
  }

  /**
   * Creates the indexes once; a failure (MongoDB not up yet) is forgotten so the next write tries
   * again, which lets the service start before its database.
   */
  ensureIndexes(): Promise<void> {
    this.indexes ??= (async () => {
      await this.runs.createIndex({ run_id: 1 }, { unique: true, name: 'run_id_unique' });
      await this.runs.createIndex(
        { idempotency_key: 1 },
        { unique: true, name: 'idempotency_key_unique', partialFilterExpression: { idempotency_key: { $type: 'string' } } },
      );
      // Each document carries its own expiry, so a change of the retention needs no index change.
      await this.runs.createIndex({ expires_at: 1 }, { expireAfterSeconds: 0, name: EXPIRES_AT_INDEX });
    })().catch((error: unknown) => {
      this.indexes = undefined;
      throw error;
    });
    return this.indexes;
  }

  async create(run: WorkflowRun, claim?: IdempotencyClaim): Promise<CreateResult> {
    await this.ensureIndexes();
    const document = runDocument(run, claim, this.retentionMs);
    try {
      // insertOne adds _id to the object it is given; give it a copy.
      await this.runs.insertOne({ ...document });
      return { created: true, run };
    } catch (error) {
      if (!claim || !isDuplicateKey(error, 'idempotency_key')) throw error;
      const existing = await this.runs.findOne({ idempotency_key: claim.key }, { projection: { _id: 0 } });
      // Deleted between the failed insert and this read: the key is free again, so try once more.
      if (!existing) return this.create(run, claim);
      const { idempotency_key: _key, request_hash: requestHash, expires_at: _expires, ...stored } = existing;
      return { created: false, run: stored, requestHash: requestHash ?? '' };
    }
  }

  async updateStep(runId: string, index: number, step: WorkflowStepRecord, fields: { completed_steps: number; updated_at: string }): Promise<void> {
    const result = await this.runs.updateOne({ run_id: runId }, { $set: { [`steps.${index}`]: step, completed_steps: fields.completed_steps, updated_at: fields.updated_at } });
    if (result.matchedCount === 0) throw new RunNotFoundError(runId);
  }

  async finish(runId: string, completion: RunCompletion): Promise<void> {
    const result = await this.runs.updateOne({ run_id: runId }, { $set: { ...completion } });
    if (result.matchedCount === 0) throw new RunNotFoundError(runId);
  }

  async get(runId: string): Promise<WorkflowRun | undefined> {
    const found = await this.runs.findOne<WorkflowRun>({ run_id: runId }, { projection: PUBLIC_PROJECTION });
    return found ?? undefined;
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
