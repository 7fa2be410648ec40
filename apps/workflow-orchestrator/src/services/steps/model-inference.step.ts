import { status as GrpcStatus } from '@grpc/grpc-js';
import { LIMITS, type ModelRouterCaller } from '@mcp/contracts';
import type { ModelClientTracer } from '@mcp/mcp-metrics';
import { fillTemplate } from './template.util';
import { StepError, type StepExecutor } from './step.types';

const MAX_DETAIL_CHARS = 300;
/** Step errors of a model-router outage; the route answers them 503 / 504 (see workflows.routes.ts). */
export const MODEL_ROUTER_UNAVAILABLE = 'model-router unavailable';
export const MODEL_ROUTER_TIMEOUT_PREFIX = 'model-router did not answer within ';

/**
 * The gRPC status behind a recorded model_inference step error, for the two outages a client should
 * retry (unavailable, too slow); `undefined` for any other error. Runs keep the message, not the code.
 */
export function outageCodeOfStepError(stepError: string): number | undefined {
  if (stepError === MODEL_ROUTER_UNAVAILABLE) return GrpcStatus.UNAVAILABLE;
  if (stepError.startsWith(MODEL_ROUTER_TIMEOUT_PREFIX)) return GrpcStatus.DEADLINE_EXCEEDED;
  return undefined;
}

function grpcCodeName(code: number): string {
  return (Object.entries(GrpcStatus).find(([, value]) => value === code)?.[0] as string | undefined) ?? `code ${code}`;
}

/** A failed Route call as a step error: what happened to the call, in words a client can act on. */
export function modelRouterError(error: unknown, deadlineMs: number): StepError {
  const { code, details } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; details?: unknown };
  const detail = typeof details === 'string' && details !== '' ? details.slice(0, MAX_DETAIL_CHARS) : undefined;
  switch (code) {
    case GrpcStatus.UNAVAILABLE:
      return new StepError('UNAVAILABLE', MODEL_ROUTER_UNAVAILABLE);
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new StepError('DEADLINE_EXCEEDED', `${MODEL_ROUTER_TIMEOUT_PREFIX}${deadlineMs} ms`);
    case GrpcStatus.NOT_FOUND:
      return new StepError('NOT_FOUND', `model-router: ${detail ?? 'unknown model_type'}`);
    case GrpcStatus.INVALID_ARGUMENT:
      return new StepError('INVALID_ARGUMENT', `model-router rejected the request: ${detail ?? 'invalid argument'}`);
    default:
      if (typeof code === 'number') return new StepError(grpcCodeName(code), `model-router failed: ${grpcCodeName(code)}${detail ? `: ${detail}` : ''}`);
      return new StepError('MODEL_ROUTER_ERROR', `model-router call failed: ${error instanceof Error ? error.name : 'unknown error'}`);
  }
}

/**
 * `model_inference`: fills the prompt template from the data and asks the model-router (gRPC Route,
 * with a deadline). Output: `{ [output_key ?? 'response']: text, tokens_used, model_type }`.
 */
export function modelInferenceStep(options: { modelRouter: ModelRouterCaller; modelClient: ModelClientTracer; deadlineMs: number }): StepExecutor<'model_inference'> {
  return async (step, data, context) => {
    const prompt = fillTemplate(step.prompt_template, data, LIMITS.promptChars);
    if (prompt === undefined) throw new StepError('PROMPT_TOO_LONG', `the filled prompt has more than ${LIMITS.promptChars} characters`);
    let answer;
    try {
      answer = await options.modelClient.traceCompletion(step.model_type, prompt, () =>
        options.modelRouter.route({ model_type: step.model_type, prompt, ...(context.userId ? { user_id: context.userId } : {}) }, options.deadlineMs),
      );
    } catch (error) {
      throw modelRouterError(error, options.deadlineMs);
    }
    return { [step.output_key ?? 'response']: answer.response, tokens_used: answer.tokens_used, model_type: answer.model_type || step.model_type };
  };
}
