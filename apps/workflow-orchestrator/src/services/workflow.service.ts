import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIMITS, type WorkflowExecuteBody, type WorkflowProgressEvent, type WorkflowRun, type WorkflowStep, type WorkflowStepRecord } from '@mcp/contracts';
import type { WorkflowTracer } from '@mcp/mcp-metrics';
import { currentTraceId } from '@mcp/service-kit';
import type { Logger } from 'pino';
import { hostOf, isAllowed, type AllowlistEntry } from './allowlist';
import type { ProgressNotifier } from './progress-notifier';
import { IdempotencyConflictError, requestHash } from './idempotency';
import { RunNotFoundError, RunStoreUnavailableError, jsonBytes, withOutput, type IdempotencyClaim, type RunCompletion, type RunStore } from './run-store';
import { StepError, tooLarge, type StepContext, type StepExecutors, type StepOutput, type WorkflowData } from './steps';

/** Thrown inside the run's span so that it and the run metrics record the failure; caught right outside. */
class WorkflowRunFailed extends Error {
  constructor(
    readonly run: WorkflowRun,
    readonly code: string,
  ) {
    super(run.error);
    this.name = 'WorkflowRunFailed';
  }
}

export interface ExecuteOutcome {
  run: WorkflowRun;
  /** True when an Idempotency-Key matched an earlier run, which is returned instead of a new one. */
  replayed: boolean;
}

export interface WorkflowServiceOptions {
  store: RunStore;
  steps: StepExecutors;
  tracer: WorkflowTracer;
  progress: ProgressNotifier;
  logger: Logger;
  allowlist: readonly AllowlistEntry[];
  /** How long a replay of a run still running elsewhere waits for it to finish. */
  replayWaitMs: number;
  /** How long a response waits for the run's last progress events. */
  progressWaitMs: number;
}

const REPLAY_POLL_MS = 100;
const MAX_ERROR_CHARS = 1024;

const now = (): string => new Date().toISOString();
/** A run's read capability: 128 random bits, unguessable, so knowing it is the permission to read. */
const newRunId = (): string => randomBytes(16).toString('base64url');
/** A run's public handle for progress events and telemetry: unique enough to tell runs apart, grants nothing. */
const newProgressId = (): string => randomBytes(8).toString('hex');
const elapsedMs = (since: number): number => Math.round((performance.now() - since) * 1000) / 1000;

/**
 * The JSON size of a step's output, checked against the limits: one step's output, and the run's
 * whole data (input plus every output so far). Beyond either the step fails, naming the limit.
 */
function checkedOutputBytes(output: StepOutput, dataBytesSoFar: number): number {
  const bytes = jsonBytes(output);
  if (bytes > LIMITS.stepOutputBytes) tooLarge(`the step's output has ${bytes} bytes, more than ${LIMITS.stepOutputBytes}`);
  if (dataBytesSoFar + bytes > LIMITS.runDataBytes) tooLarge(`the run's data would have ${dataBytesSoFar + bytes} bytes, more than ${LIMITS.runDataBytes}`);
  return bytes;
}

/** Any step failure as a StepError; unexpected errors keep only their class name (their message is unvetted). */
function asStepError(error: unknown): StepError {
  if (error instanceof StepError) return error;
  return new StepError('INTERNAL', `step failed unexpectedly (${error instanceof Error ? error.name : 'unknown error'})`);
}

/**
 * Runs workflows: validates what the schema cannot (the allowlist), records each run before its first
 * step and after every step, runs the steps in order merging each output into the data the next
 * one sees (the seed's semantics), reports progress to the hub, and answers replays of an
 * Idempotency-Key with the run already made. Knows nothing of HTTP.
 */
export class WorkflowService {
  /** Runs executing in this process, so a concurrent replay can wait for the result. */
  private readonly running = new Map<string, Promise<WorkflowRun>>();

  constructor(private readonly options: WorkflowServiceOptions) {}

  /** One line per external_api step whose host is not allow-listed, naming the step; empty when all are. */
  allowlistProblems(body: WorkflowExecuteBody): string[] {
    return body.steps.flatMap((step, index) =>
      step.type === 'external_api' && !isAllowed(this.options.allowlist, step.url)
        ? [`steps.${index}.url: host ${hostOf(step.url)} of step "${step.name}" is not in EXTERNAL_API_ALLOWLIST`]
        : [],
    );
  }

  async getRun(runId: string): Promise<WorkflowRun | undefined> {
    try {
      const run = await this.options.store.get(runId);
      return run && withOutput(run);
    } catch (error) {
      throw this.storeFailure('get', error);
    }
  }

  /**
   * Creates and runs a workflow, or with an Idempotency-Key already used, returns that run (waiting,
   * bounded, while it still runs). Rejects with {@link RunStoreUnavailableError} when the run
   * cannot be recorded (before any step ran when the first write fails) and with
   * {@link IdempotencyConflictError} for a key reused with another body. A failed step is not an
   * error here: it resolves with the failed run.
   */
  async execute(body: WorkflowExecuteBody, idempotencyKey?: string): Promise<ExecuteOutcome> {
    const claim: IdempotencyClaim | undefined = idempotencyKey === undefined ? undefined : { key: idempotencyKey, requestHash: requestHash(body) };
    const timestamp = now();
    const traceId = currentTraceId();
    const run: WorkflowRun = {
      run_id: newRunId(),
      progress_id: newProgressId(),
      workflow_type: body.workflow_type,
      status: 'running',
      ...(body.session_id === undefined ? {} : { session_id: body.session_id }),
      steps: body.steps.map((step, index) => ({ name: step.name, type: step.type, index, status: 'pending' })),
      input_data: body.input_data,
      completed_steps: 0,
      ...(traceId === undefined ? {} : { trace_id: traceId }),
      created_at: timestamp,
      updated_at: timestamp,
    };

    let created;
    try {
      created = await this.options.store.create(run, claim);
    } catch (error) {
      throw this.storeFailure('create', error);
    }
    if (!created.created) {
      if (claim && created.requestHash !== claim.requestHash) throw new IdempotencyConflictError();
      this.options.logger.info({ progress_id: created.run.progress_id, status: created.run.status }, 'idempotent replay');
      return { run: withOutput(await this.whenFinished(created.run)), replayed: true };
    }

    const execution = this.run(run, body);
    this.running.set(run.run_id, execution);
    try {
      return { run: withOutput(await execution), replayed: false };
    } finally {
      this.running.delete(run.run_id);
    }
  }

  private async run(run: WorkflowRun, body: WorkflowExecuteBody): Promise<WorkflowRun> {
    const { tracer, logger } = this.options;
    const progress = this.options.progress.forRun(body.session_id);
    const event = (type: WorkflowProgressEvent['type'], extra: Partial<WorkflowProgressEvent> = {}): WorkflowProgressEvent => ({
      type,
      progress_id: run.progress_id,
      workflow_type: run.workflow_type,
      status: run.status,
      completed_steps: run.completed_steps,
      total_steps: run.steps.length,
      at: now(),
      ...extra,
    });
    const context: StepContext = body.user_id === undefined ? {} : { userId: body.user_id };

    try {
      return await tracer.traceWorkflowExecution(run.progress_id, run.workflow_type, body.steps.length, async () => {
        const started = performance.now();
        progress.send(event('run.started'));
        let data: WorkflowData = { ...body.input_data };
        let dataBytes = jsonBytes(body.input_data);
        let failure: StepError | undefined;

        for (const [index, step] of body.steps.entries()) {
          const stepStarted = performance.now();
          let record: WorkflowStepRecord;
          try {
            const output = await tracer.traceWorkflowStep(run.progress_id, { name: step.name, type: step.type, index }, async () => {
              const produced = await this.executeStep(step, data, context);
              dataBytes += checkedOutputBytes(produced, dataBytes);
              return produced;
            });
            data = { ...data, ...output };
            record = { name: step.name, type: step.type, index, status: 'completed', duration_ms: elapsedMs(stepStarted), output };
            run.completed_steps += 1;
          } catch (error) {
            failure = asStepError(error);
            if (failure.code === 'INTERNAL') logger.error({ err: error, progress_id: run.progress_id, step_index: index }, 'step failed unexpectedly');
            record = { name: step.name, type: step.type, index, status: 'failed', duration_ms: elapsedMs(stepStarted), error: failure.message.slice(0, MAX_ERROR_CHARS) };
            run.status = 'failed';
            run.error = `step "${step.name}" (${step.type}) failed: ${failure.message}`.slice(0, MAX_ERROR_CHARS);
            logger.warn({ progress_id: run.progress_id, step_index: index, step_type: step.type, error_code: failure.code, error: record.error }, 'workflow step failed');
          }
          run.steps[index] = record;
          run.updated_at = now();
          await this.storeWrite('update step', () => this.options.store.updateStep(run.run_id, index, record, { completed_steps: run.completed_steps, updated_at: run.updated_at }));
          progress.send(
            event(failure ? 'step.failed' : 'step.completed', {
              step: { name: step.name, type: step.type, index, ...(record.duration_ms === undefined ? {} : { duration_ms: record.duration_ms }), ...(record.error ? { error: record.error } : {}) },
            }),
          );
          if (failure) break;
        }

        const completion: RunCompletion = {
          status: failure ? 'failed' : 'completed',
          completed_steps: run.completed_steps,
          total_duration_ms: elapsedMs(started),
          ...(failure ? { error: run.error ?? failure.message } : {}),
          updated_at: now(),
        };
        Object.assign(run, completion);
        await this.storeWrite('finish', () => this.options.store.finish(run.run_id, completion));
        progress.send(event('run.finished'));
        logger.info(
          { progress_id: run.progress_id, workflow_type: run.workflow_type, status: run.status, completed_steps: run.completed_steps, total_steps: run.steps.length, total_duration_ms: run.total_duration_ms },
          'workflow run finished',
        );
        if (failure) throw new WorkflowRunFailed(run, failure.code);
        return run;
      });
    } catch (error) {
      if (error instanceof WorkflowRunFailed) return error.run;
      throw error;
    } finally {
      await progress.settled(this.options.progressWaitMs);
    }
  }

  private executeStep(step: WorkflowStep, data: WorkflowData, context: StepContext): Promise<StepOutput> {
    const { steps } = this.options;
    switch (step.type) {
      case 'model_inference':
        return steps.model_inference(step, data, context);
      case 'data_processing':
        return steps.data_processing(step, data, context);
      case 'external_api':
        return steps.external_api(step, data, context);
    }
  }

  private async storeWrite(operation: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      throw this.storeFailure(operation, error);
    }
  }

  private storeFailure(operation: string, error: unknown): Error {
    if (error instanceof RunNotFoundError) return error;
    this.options.logger.error({ err: error, operation }, 'run store operation failed');
    return new RunStoreUnavailableError(operation);
  }

  /** The run once it is no longer running: awaited in this process, else polled (bounded) from the store. */
  private async whenFinished(run: WorkflowRun): Promise<WorkflowRun> {
    if (run.status !== 'running') return run;
    const local = this.running.get(run.run_id);
    if (local) {
      try {
        return await local;
      } catch {
        // The original request answers for its own failure; the replay reports what the store holds.
      }
    }
    const deadline = performance.now() + this.options.replayWaitMs;
    let latest = run;
    while (latest.status === 'running' && performance.now() < deadline) {
      await sleep(REPLAY_POLL_MS);
      latest = (await this.getRun(run.run_id)) ?? latest;
    }
    return latest;
  }
}
