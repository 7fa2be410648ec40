import type { ModelRouterCaller } from '@mcp/contracts';
import type { ModelClientTracer } from '@mcp/mcp-metrics';
import type { AllowlistEntry } from '../allowlist';
import { dataProcessingStep } from './data-processing.step';
import { externalApiStep } from './external-api.step';
import { modelInferenceStep } from './model-inference.step';
import type { StepExecutors } from './step.types';

export { StepError, tooLarge, OUTPUT_TOO_LARGE } from './step.types';
export type { StepContext, StepExecutors, StepOutput, WorkflowData } from './step.types';

/** The executor of each step type, wired to the clients they use. */
export function createStepExecutors(options: {
  modelRouter: ModelRouterCaller;
  modelClient: ModelClientTracer;
  modelRouterDeadlineMs: number;
  allowlist: readonly AllowlistEntry[];
}): StepExecutors {
  return {
    model_inference: modelInferenceStep({ modelRouter: options.modelRouter, modelClient: options.modelClient, deadlineMs: options.modelRouterDeadlineMs }),
    data_processing: dataProcessingStep(),
    external_api: externalApiStep({ allowlist: options.allowlist }),
  };
}
