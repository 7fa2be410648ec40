import type { WorkflowStep } from '@mcp/contracts';

/** The data a step sees: the run's input_data merged with every earlier step's output. */
export type WorkflowData = Readonly<Record<string, unknown>>;
/** What a step adds to the data (merged over it for the next step). */
export type StepOutput = Record<string, unknown>;

export type StepOfType<T extends WorkflowStep['type']> = Extract<WorkflowStep, { type: T }>;

/** What a step may know about its run besides the data. */
export interface StepContext {
  /** The requesting user, passed on to the model-router for its caller's ledger; never on telemetry. */
  userId?: string;
}

export type StepExecutor<T extends WorkflowStep['type']> = (step: StepOfType<T>, data: WorkflowData, context: StepContext) => Promise<StepOutput>;

/** One executor per step type. */
export type StepExecutors = { [T in WorkflowStep['type']]: StepExecutor<T> };

/**
 * A step failure with a message fit for the run record, the API response and the span status:
 * it names what went wrong, never the data (prompts, values). `code` becomes `error.type`.
 */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

/** The code of every step that would make more data than the limits of @mcp/contracts allow. */
export const OUTPUT_TOO_LARGE = 'OUTPUT_TOO_LARGE';

/** Fails the step: what it would produce exceeds a limit (`reason` names the limit, never the data). */
export function tooLarge(reason: string): never {
  throw new StepError(OUTPUT_TOO_LARGE, reason);
}
